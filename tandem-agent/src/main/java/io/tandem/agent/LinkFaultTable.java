package io.tandem.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cut links of the in-process link-fault layer (tests only): a file with one cut per line, {@code a b},
 * meaning a cannot reach b and b cannot reach a. Blank lines and lines starting with {@code #} are ignored; a
 * missing file means no cuts. The file is looked at no more often than every {@value #REREAD_MS} ms and reread
 * only when its modification time, size or identity changed; writers replace it atomically ({@link #write}).
 *
 * <p>The layer is active only when the environment variable {@value #ENV} (or, for peers in one JVM, the system
 * property {@value #PROPERTY}) names the file. Production never sets either.
 */
public final class LinkFaultTable {
    /** Environment variable naming the file: set for the peer processes of a test run. */
    public static final String ENV = "TANDEM_LINK_FAULTS";
    /** System property naming the file, taking precedence over {@link #ENV}: for several peers in one JVM. */
    public static final String PROPERTY = "tandem.linkFaults";
    static final long REREAD_MS = 50;

    private static final Logger LOG = LoggerFactory.getLogger(LinkFaultTable.class);
    private static final ConcurrentMap<Path, LinkFaultTable> SHARED = new ConcurrentHashMap<>();

    /** One cut link; the two ends are kept in name order, so {@code a b} and {@code b a} are the same link. */
    public record Link(String a, String b) {
        public Link {
            Objects.requireNonNull(a);
            Objects.requireNonNull(b);
            if (a.isBlank() || b.isBlank() || a.equals(b) || a.matches(".*\\s.*") || b.matches(".*\\s.*")) {
                throw new IllegalArgumentException("a link joins two different peer names without blanks, not '" + a + "' and '" + b + "'");
            }
            if (a.compareTo(b) > 0) {
                String t = a;
                a = b;
                b = t;
            }
        }

        public boolean joins(String x, String y) {
            return a.equals(x) && b.equals(y) || a.equals(y) && b.equals(x);
        }

        @Override
        public String toString() {
            return a + " " + b;
        }
    }

    private final Path file;
    private volatile long checkedAtNs;
    private volatile Set<Link> links = Set.of();
    private Object seenKey; // modification time, size and identity of the file last read; guarded by this

    private LinkFaultTable(Path file) {
        this.file = file;
        this.checkedAtNs = System.nanoTime() - REREAD_MS * 2_000_000;
    }

    /** The file named by {@link #PROPERTY} or else {@link #ENV}, when either is set and not blank. */
    public static Optional<Path> configured() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) v = System.getenv(ENV);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(Path.of(v.trim()).toAbsolutePath());
    }

    /** The table of this file, shared by every RPC of this JVM that reads it. */
    static LinkFaultTable of(Path file) {
        return SHARED.computeIfAbsent(file.toAbsolutePath().normalize(), LinkFaultTable::new);
    }

    Path file() {
        return file;
    }

    /** Whether the link between the two peers is cut now (within {@value #REREAD_MS} ms of the file changing). */
    boolean isCut(String from, String to) {
        if (from == null || to == null || from.equals(to)) return false;
        for (Link l : current()) {
            if (l.joins(from, to)) return true;
        }
        return false;
    }

    Set<Link> current() {
        if (System.nanoTime() - checkedAtNs >= REREAD_MS * 1_000_000) refresh();
        return links;
    }

    private synchronized void refresh() {
        if (System.nanoTime() - checkedAtNs < REREAD_MS * 1_000_000) return; // another thread just did
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            Object key = java.util.List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
            if (!key.equals(seenKey)) {
                Set<Link> read = parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
                seenKey = key;
                if (!read.equals(links)) LOG.info("event=link-faults-changed file={} cut=\"{}\"", file, String.join(", ", read.stream().map(Link::toString).toList()));
                links = read;
            }
        } catch (NoSuchFileException e) {
            if (!links.isEmpty()) LOG.info("event=link-faults-changed file={} cut=\"\" (file removed)", file);
            seenKey = null;
            links = Set.of();
        } catch (IOException | RuntimeException e) {
            // A file being replaced may fail to read for an instant: keep the last cuts and look again next time.
            LOG.warn("event=link-faults-unreadable file={} error=\"{}\"", file, e.toString());
        }
        checkedAtNs = System.nanoTime();
    }

    /** The links a file's text names; a malformed line is skipped with a warning. */
    public static Set<Link> parse(String text, String where) {
        Set<Link> out = new LinkedHashSet<>();
        int n = 0;
        for (String line : text.split("\n")) {
            n++;
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) continue;
            String[] f = s.split("\\s+");
            try {
                if (f.length != 2) throw new IllegalArgumentException("expected two peer names");
                out.add(new Link(f[0], f[1]));
            } catch (IllegalArgumentException e) {
                LOG.warn("event=link-faults-bad-line file={} line={} text=\"{}\" error=\"{}\"", where, n, s, e.getMessage());
            }
        }
        return java.util.Collections.unmodifiableSet(out);
    }

    /** Replaces the file with these links, atomically: a reader sees the old list or the new one, never a part. */
    public static void write(Path file, Collection<Link> links) throws IOException {
        StringBuilder b = new StringBuilder("# cut links of the tandem in-process link-fault layer, one 'a b' per line\n");
        new LinkedHashSet<>(links).forEach(l -> b.append(l).append('\n'));
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
