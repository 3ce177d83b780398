package io.tandem.cli;

import io.tandem.agent.LinkFaultTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Link cuts between the peers of one local cluster run, in one of two {@linkplain Mode modes}; the same
 * {@link #cut}, {@link #cutLink} and {@link #heal} work in both.
 *
 * <p>{@link Mode#NFTABLES}: real cuts. Every loopback connection leaves from 127.0.0.1, so source addresses cannot
 * tell the sites apart; instead each peer runs in its own cgroup v2 group ({@link #wrap}) and the rules match the
 * cgroup of the sending socket. Needs root, the {@code nft} tool and a cgroup v2 hierarchy under /sys/fs/cgroup;
 * {@link #availability()} says why not. The run owns one nftables table, {@code tandem_<pid>_<n>}, deleted on
 * {@link #close()} and by a JVM shutdown hook; tables and cgroups left by runs whose JVM no longer exists are removed
 * at {@link #open}.
 *
 * <p>{@link Mode#IN_PROCESS}: works anywhere. Each peer process gets {@code TANDEM_LINK_FAULTS=<file>} in its
 * environment ({@link #environment}), which turns on the agent's link-fault layer in its Raft transport: a request to
 * a peer the file cuts off fails at the sender, as a connect failure would (see {@link LinkFaultTable}). The cuts are
 * rewritten into that file atomically; peers see a change within about 50 ms.
 */
public final class LinkFaults implements AutoCloseable {
    /** How links are cut: packets dropped by nftables, or requests failed by the agents' in-process layer. */
    public enum Mode {
        NFTABLES, IN_PROCESS;

        /** "nftables" or "in-process" (also accepted by {@link #parse}). */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Mode parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** System property: set to {@code in-process} to make {@link #bestMode()} pick the in-process layer even where nftables works. */
    public static final String MODE_PROPERTY = "tandem.linkFaults.mode";

    /** Where a peer's Raft traffic goes. */
    public record Endpoint(String address, int raftPort) {}

    /** Whether link faults can be made on this machine, and if not, why (to skip tests with). */
    public record Availability(boolean available, String reason) {}

    private static final Path CGROUP_FS = Path.of("/sys/fs/cgroup");
    private static final List<String> NFT_PLACES = List.of("/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/bin/nft");
    private static final Pattern OUR_TABLE = Pattern.compile("^table inet (tandem_(\\d+)_\\w+)$", Pattern.MULTILINE);
    private static final Pattern OUR_CGROUP = Pattern.compile("tandem-(\\d+)-.+");
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final long PID = ProcessHandle.current().pid();
    private static Availability availability;
    private static Host host;

    /** What the probe found: the nft binary, the cgroup2 mount, and that mount's path as nft names it. */
    private record Host(String nft, Path cgroupMount, String nftCgroupPrefix) {}

    private final Mode mode;
    private final Map<String, Endpoint> peers;
    // NFTABLES
    private final Host h;
    private final String table;
    private final Map<String, Path> cgroups = new LinkedHashMap<>();
    private final Thread hook;
    private boolean tableDeleted;
    // IN_PROCESS
    private final Path file;
    private final Set<LinkFaultTable.Link> cuts = new LinkedHashSet<>();

    private LinkFaults(Host h, String table, Map<String, Endpoint> peers) {
        this.mode = Mode.NFTABLES;
        this.h = h;
        this.table = table;
        this.peers = Map.copyOf(peers);
        this.hook = new Thread(this::deleteTable, "tandem-link-faults-cleanup");
        this.file = null;
    }

    private LinkFaults(Path file, Map<String, Endpoint> peers) {
        this.mode = Mode.IN_PROCESS;
        this.h = null;
        this.table = null;
        this.peers = Map.copyOf(peers);
        this.hook = null;
        this.file = file;
    }

    /** NFTABLES where {@link #availability()} allows it, else IN_PROCESS; {@code -Dtandem.linkFaults.mode=in-process} forces the latter. */
    public static Mode bestMode() {
        String forced = System.getProperty(MODE_PROPERTY, "").trim();
        if (!forced.isEmpty() && Mode.parse(forced) == Mode.IN_PROCESS) return Mode.IN_PROCESS;
        return availability().available() ? Mode.NFTABLES : Mode.IN_PROCESS;
    }

    /**
     * Opens link faults of the given mode for these peers: {@link #open(Map)} for NFTABLES (which throws with the
     * reason where unavailable); for IN_PROCESS, the file {@code runDir/link-faults}, written empty (no cuts) now.
     */
    public static LinkFaults open(Mode mode, Map<String, Endpoint> peers, Path runDir) throws IOException {
        if (mode == Mode.NFTABLES) return open(peers);
        LinkFaults f = new LinkFaults(runDir.toAbsolutePath().resolve("link-faults"), peers);
        f.writeCuts();
        return f;
    }

    /** Probes once per JVM (root, nft, cgroup2, and a trial rule) and remembers the answer. */
    public static synchronized Availability availability() {
        if (availability == null) {
            try {
                host = probe();
                availability = new Availability(true, "nftables " + host.nft() + ", cgroup2 at " + host.cgroupMount());
            } catch (Unavailable e) {
                availability = new Availability(false, "link faults unavailable: " + e.getMessage());
            }
        }
        return availability;
    }

    /**
     * Creates a cgroup per peer and this run's empty table; first removes what dead runs left behind.
     * Throws {@link IllegalStateException} with the reason when link faults are unavailable here.
     */
    public static LinkFaults open(Map<String, Endpoint> peers) throws IOException {
        Availability a = availability();
        if (!a.available()) throw new IllegalStateException(a.reason());
        Host h;
        synchronized (LinkFaults.class) {
            h = host;
        }
        removeStale(h);
        int run = RUNS.incrementAndGet();
        LinkFaults f = new LinkFaults(h, "tandem_" + PID + "_" + run, peers);
        try {
            for (String peer : peers.keySet()) {
                Path cg = h.cgroupMount().resolve("tandem-" + PID + "-" + run + "-" + peer);
                Files.createDirectories(cg);
                f.cgroups.put(peer, cg);
            }
            Runtime.getRuntime().addShutdownHook(f.hook);
            nft(h, "add table inet " + f.table + "\n"
                    + "add chain inet " + f.table + " out { type filter hook output priority 0; policy accept; }\n");
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
        return f;
    }

    public Mode mode() {
        return mode;
    }

    /** IN_PROCESS: the file of cut links that the peers read. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** What the peer's process needs in its environment: for IN_PROCESS, {@code TANDEM_LINK_FAULTS=<file>}; nothing for NFTABLES. */
    public Map<String, String> environment(String peer) {
        endpoint(peer);
        return mode == Mode.IN_PROCESS ? Map.of(LinkFaultTable.ENV, file.toString()) : Map.of();
    }

    /**
     * The command that runs {@code command} inside the peer's cgroup (NFTABLES); the process joins it before
     * opening any socket. IN_PROCESS needs no wrapper: the command is returned as it is.
     */
    public List<String> wrap(String peer, List<String> command) {
        if (mode == Mode.IN_PROCESS) {
            endpoint(peer);
            return List.copyOf(command);
        }
        Path procs = cgroup(peer).resolve("cgroup.procs");
        List<String> out = new ArrayList<>(List.of("/bin/sh", "-c", "echo $$ > '" + procs + "' && exec \"$0\" \"$@\""));
        out.addAll(command);
        return out;
    }

    /**
     * Isolates a peer. NFTABLES: its packets to the others' Raft ports are dropped, and so is every packet to its own
     * Raft port. IN_PROCESS: its links to every other peer are cut (a Raft client outside every peer is not affected).
     */
    public synchronized void cut(String peer) throws IOException {
        Endpoint me = endpoint(peer);
        if (mode == Mode.IN_PROCESS) {
            for (String other : peers.keySet()) {
                if (!other.equals(peer)) cuts.add(new LinkFaultTable.Link(peer, other));
            }
            writeCuts();
            return;
        }
        StringBuilder rules = new StringBuilder();
        peers.forEach((other, e) -> {
            if (!other.equals(peer)) rules.append(dropFrom(peer, e));
        });
        rules.append("add rule inet ").append(table).append(" out ip daddr ").append(me.address()).append(" tcp dport ").append(me.raftPort())
                .append(" drop\n");
        nft(h, rules.toString());
    }

    /** Cuts the link between two peers both ways; their links to anyone else stay up. */
    public synchronized void cutLink(String a, String b) throws IOException {
        if (mode == Mode.IN_PROCESS) {
            endpoint(a);
            endpoint(b);
            cuts.add(new LinkFaultTable.Link(a, b));
            writeCuts();
            return;
        }
        nft(h, dropFrom(a, endpoint(b)) + dropFrom(b, endpoint(a)));
    }

    /**
     * NFTABLES only: drops what {@code from}'s processes send to {@code address:port} (e.g. a standby's replication
     * connection to its primary's PostgreSQL), silently, with every other link up. The in-process layer cuts only
     * Raft requests, so it cannot do this.
     */
    public synchronized void cutPort(String from, String address, int port) throws IOException {
        if (mode != Mode.NFTABLES) throw new IllegalStateException("a cut of one port needs nftables; this run uses " + mode.label());
        nft(h, "add rule inet " + table + " out socket cgroupv2 level 1 \"" + nftPath(h, cgroup(from)) + "\" ip daddr " + address
                + " tcp dport " + port + " drop\n");
    }

    /** Removes every cut of this run. */
    public synchronized void heal() throws IOException {
        if (mode == Mode.IN_PROCESS) {
            cuts.clear();
            writeCuts();
            return;
        }
        nft(h, "flush chain inet " + table + " out\n");
    }

    /** The cuts now in force: the rules as nft lists them, or the in-process file's text. */
    public synchronized String rules() throws IOException {
        if (mode == Mode.IN_PROCESS) return Files.readString(file);
        return run(List.of(h.nft(), "list", "table", "inet", table)).out();
    }

    /** NFTABLES: this run's nftables table. */
    public String table() {
        if (mode != Mode.NFTABLES) throw new IllegalStateException("in-process link faults have no nftables table; see file()");
        return table;
    }

    /** Replaces the file the peers read with the current cuts, atomically. */
    private void writeCuts() throws IOException {
        LinkFaultTable.write(file, cuts);
    }

    /**
     * NFTABLES: deletes the table, then the cgroups; call it after the peers' processes have exited (a cgroup with
     * processes cannot go). IN_PROCESS: deletes the file.
     */
    @Override
    public synchronized void close() {
        if (mode == Mode.IN_PROCESS) {
            cuts.clear();
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                System.err.println("tandem: could not delete " + file + ": " + e.getMessage());
            }
            return;
        }
        deleteTable();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // the JVM is already shutting down, or the hook was never added: nothing to undo
        }
        for (Path cg : cgroups.values()) {
            removeCgroup(cg, 3000);
        }
        cgroups.clear();
    }

    private String dropFrom(String peer, Endpoint to) {
        return "add rule inet " + table + " out socket cgroupv2 level 1 \"" + nftPath(h, cgroup(peer)) + "\" ip daddr " + to.address()
                + " tcp dport " + to.raftPort() + " drop\n";
    }

    /** The cgroup the peer's processes run in (NFTABLES). */
    Path cgroup(String peer) {
        Path cg = cgroups.get(peer);
        if (cg == null) throw new IllegalArgumentException("no peer '" + peer + "' in this run; peers: " + cgroups.keySet());
        return cg;
    }

    private Endpoint endpoint(String peer) {
        Endpoint e = peers.get(peer);
        if (e == null) throw new IllegalArgumentException("no peer '" + peer + "' in this run; peers: " + peers.keySet());
        return e;
    }

    private synchronized void deleteTable() {
        if (tableDeleted) return;
        try {
            nft(h, "delete table inet " + table + "\n");
            tableDeleted = true;
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("No such file")) {
                tableDeleted = true;
            } else {
                System.err.println("tandem: could not delete nftables table " + table + ": " + e.getMessage()
                        + "; delete it with 'nft delete table inet " + table + "'");
            }
        }
    }

    /** A cgroup becomes removable once its last process has been reaped; that can lag the exit a little. */
    private static boolean removeCgroup(Path cg, long waitMs) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (true) {
            try {
                Files.deleteIfExists(cg);
                return true;
            } catch (IOException e) {
                if (System.nanoTime() > end) {
                    System.err.println("tandem: could not remove cgroup " + cg + " (" + e.getMessage() + "); processes still in it: "
                            + readQuietly(cg.resolve("cgroup.procs")).replace('\n', ' ').trim());
                    return false;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /** Tables and empty cgroups named after a JVM that no longer runs. Cgroups that still hold processes are left alone. */
    private static void removeStale(Host h) throws IOException {
        Matcher m = OUR_TABLE.matcher(run(List.of(h.nft(), "list", "tables")).out());
        while (m.find()) {
            if (isDead(m.group(2))) nft(h, "delete table inet " + m.group(1) + "\n");
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(h.cgroupMount(), "tandem-*")) {
            for (Path d : dirs) {
                Matcher c = OUR_CGROUP.matcher(d.getFileName().toString());
                if (c.matches() && isDead(c.group(1)) && readQuietly(d.resolve("cgroup.procs")).isBlank()) {
                    removeCgroup(d, 0);
                }
            }
        }
    }

    private static boolean isDead(String pid) {
        long p = Long.parseLong(pid);
        return p != PID && ProcessHandle.of(p).map(ph -> !ph.isAlive()).orElse(true);
    }

    private static Host probe() throws Unavailable {
        String status = readQuietly(Path.of("/proc/self/status"));
        Matcher uid = Pattern.compile("^Uid:\\s+(\\d+)", Pattern.MULTILINE).matcher(status);
        if (!uid.find()) throw new Unavailable("cannot tell the user id (no /proc/self/status; not Linux?)");
        if (!uid.group(1).equals("0")) throw new Unavailable("not root (uid " + uid.group(1) + "); nftables rules and cgroups need root");
        String nft = NFT_PLACES.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst()
                .or(LinkFaults::nftOnPath)
                .orElseThrow(() -> new Unavailable("no nft command (install nftables: apt-get install nftables)"));
        Path mount = cgroup2Mount().orElseThrow(() -> new Unavailable("no cgroup v2 hierarchy is mounted (see /proc/self/mounts)"));
        if (!mount.startsWith(CGROUP_FS)) {
            throw new Unavailable("cgroup v2 is mounted at " + mount + ", but nft resolves cgroup paths under " + CGROUP_FS);
        }
        Host h = new Host(nft, mount, CGROUP_FS.relativize(mount).toString());
        // A trial run of the real thing: kernels without the nft socket match or read-only cgroup mounts fail here.
        Path cg = mount.resolve("tandem-" + PID + "-probe");
        String t = "tandem_" + PID + "_probe";
        try {
            Files.createDirectories(cg);
            nft(h, "add table inet " + t + "\nadd chain inet " + t + " out { type filter hook output priority 0; policy accept; }\n"
                    + "add rule inet " + t + " out socket cgroupv2 level 1 \"" + nftPath(h, cg) + "\" ip daddr 127.0.0.2 tcp dport 9 drop\n");
        } catch (IOException e) {
            throw new Unavailable("trial nftables rule on a cgroup failed: " + e.getMessage());
        } finally {
            try {
                nft(h, "delete table inet " + t + "\n");
            } catch (IOException e) {
                // the table was never made
            }
            removeCgroup(cg, 500);
        }
        return h;
    }

    private static String nftPath(Host h, Path cgroup) {
        String rel = h.cgroupMount().relativize(cgroup).toString();
        return h.nftCgroupPrefix().isEmpty() ? rel : h.nftCgroupPrefix() + "/" + rel;
    }

    private static Optional<String> nftOnPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nft"))) return Optional.of(Path.of(dir, "nft").toString());
        }
        return Optional.empty();
    }

    private static Optional<Path> cgroup2Mount() {
        for (String line : readQuietly(Path.of("/proc/self/mounts")).split("\n")) {
            String[] f = line.split(" ");
            if (f.length > 2 && f[2].equals("cgroup2")) return Optional.of(Path.of(f[1]));
        }
        return Optional.empty();
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /** Runs an nft script atomically (nft -f -): all of it applies or none. */
    private static void nft(Host h, String script) throws IOException {
        Result r = run(List.of(h.nft(), "-f", "-"), script);
        if (r.code() != 0) throw new IOException("nft failed (exit " + r.code() + "): " + r.err().trim() + "\nscript:\n" + script);
    }

    private record Result(int code, String out, String err) {}

    private static Result run(List<String> cmd) throws IOException {
        Result r = run(cmd, "");
        if (r.code() != 0) throw new IOException(String.join(" ", cmd) + " failed (exit " + r.code() + "): " + r.err().trim());
        return r;
    }

    private static Result run(List<String> cmd, String stdin) throws IOException {
        Process p = new ProcessBuilder(cmd).start();
        try {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            // nft prints little; reading both streams after exit cannot block on a full pipe in practice
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish within 10 s");
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                    new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", cmd), e);
        }
    }

    private static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }
}
