package io.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.agent.Json;
import io.tandem.model.config.ConfigException;
import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.TandemConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Two sites and a witness as separate processes on this machine's loopback addresses (kyiv 127.0.1.1,
 * frankfurt 127.0.2.1, witness 127.0.3.1), on ports free at creation. Used by the demo, the
 * multi-process tests and the benchmarks. Closing it stops every process it started.
 */
public final class LocalCluster implements AutoCloseable {
    public static final String KYIV = "kyiv";
    public static final String FRANKFURT = "frankfurt";
    public static final String WITNESS = "witness";
    /** The third data site of a cluster made with {@code Options.sites == 3}: 127.0.4.1, the lowest priority. */
    public static final String WARSAW = "warsaw";

    private final Path dir;
    private final Path configFile;
    private final TandemConfig config;
    private final ChildPeers peers;
    private final LinkFaults faults; // null when made without link faults
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();

    private final boolean postgres;
    private final java.util.List<String> sites;
    private Path ownedData; // a data folder this cluster made and deletes on close

    private LocalCluster(Path dir, Path configFile, TandemConfig config, LinkFaults faults, boolean postgres) {
        this.postgres = postgres;
        this.sites = config.sites().stream().map(PeerConfig::name).toList();
        this.dir = dir;
        this.configFile = configFile;
        this.config = config;
        this.faults = faults;
        this.peers = new ChildPeers(configFile, dir.resolve("logs"), faults);
    }

    /**
     * What the cluster runs: real PostgreSQL at both sites (else the agents record their resources' role
     * changes only, for control-plane tests), and whether links can be cut.
     */
    public record Options(boolean postgres, boolean linkFaults, int sites) {
        public Options {
            if (sites != 2 && sites != 3) throw new IllegalArgumentException("a local cluster has 2 or 3 data sites, not " + sites);
        }

        /** Two data sites (kyiv, frankfurt) and the witness. */
        public Options(boolean postgres, boolean linkFaults) {
            this(postgres, linkFaults, 2);
        }
    }

    /** Writes a config into {@code dir} (which must be empty or absent) and returns the cluster, not yet started: control plane only. */
    public static LocalCluster create(Path dir) throws IOException {
        return make(dir, null, false, 2);
    }

    /** As {@link #create(Path)} with the given options; with PostgreSQL the config also has a gateway for it. */
    public static LocalCluster create(Path dir, Options options) throws IOException {
        return make(dir, options.linkFaults() ? LinkFaults.bestMode() : null, options.postgres(), options.sites());
    }

    /**
     * As {@link #create(Path)}; with {@code linkFaults}, {@link #cut}, {@link #cutLink} and {@link #heal} work: with
     * nftables where {@link LinkFaults#availability()} allows it, else with the agents' in-process link-fault layer
     * ({@link LinkFaults#bestMode()}).
     */
    public static LocalCluster create(Path dir, boolean linkFaults) throws IOException {
        return make(dir, linkFaults ? LinkFaults.bestMode() : null, false, 2);
    }

    /**
     * As {@link #create(Path)}, with link faults of exactly this mode: tests force {@link LinkFaults.Mode#IN_PROCESS}
     * with it. {@link LinkFaults.Mode#NFTABLES} throws {@link IllegalStateException} with the reason where unavailable.
     */
    public static LocalCluster create(Path dir, LinkFaults.Mode mode) throws IOException {
        return make(dir, java.util.Objects.requireNonNull(mode, "mode"), false, 2);
    }

    private static LocalCluster make(Path dir, LinkFaults.Mode mode, boolean postgres, int sites) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("tandem.yaml").toAbsolutePath();
        // PostgreSQL runs as an unprivileged user that must reach its data directory; a test's or a user's home
        // folder often is not searchable by others, so the data of a PostgreSQL cluster goes under the system temp dir.
        Path data = null;
        if (postgres) {
            data = Files.createTempDirectory("tandem-data-");
            Files.setPosixFilePermissions(data, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        }
        // an operator's API token for this cluster: only its SHA-256 goes into the config
        String token = "tdm_" + writeSecret(dir.resolve("operator.token"), "tdm_", 24);
        // and a viewer's, who may read everything and change nothing
        String viewer = "tdm_" + writeSecret(dir.resolve("viewer.token"), "tdm_", 24);
        String pgPassword = "";
        if (postgres) {
            // the database superuser's password: every connection, replication included, authenticates with it
            Path pwFile = dir.resolve("pg-password").toAbsolutePath();
            writeSecret(pwFile, "", 18);
            pgPassword = "  password_file: " + pwFile + "   # the superuser's password; every connection authenticates with it\n";
        }
        String users = """
                users:
                  - {name: operator, role: operator, token_sha256: %s}
                  - {name: viewer, role: viewer, token_sha256: %s}
                """.formatted(TokenCommand.sha256(token), TokenCommand.sha256(viewer));
        Files.writeString(file, yaml(postgres, sites).replace("data_dir: data\n", "data_dir: " + (data == null ? "data" : data.toString()) + "\n")
                .replace("postgres:\n", "postgres:\n" + pgPassword) + users);
        TandemConfig config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            throw new IllegalStateException("generated config is invalid:\n" + e.getMessage(), e);
        }
        LinkFaults faults = null;
        if (mode != null) {
            Map<String, LinkFaults.Endpoint> endpoints = new LinkedHashMap<>();
            config.peers().forEach(p -> endpoints.put(p.name(), new LinkFaults.Endpoint(p.address(), p.raftPort())));
            faults = LinkFaults.open(mode, endpoints, dir.toAbsolutePath());
        }
        LocalCluster c = new LocalCluster(dir.toAbsolutePath(), file, config, faults, postgres);
        c.ownedData = data;
        if (!postgres) {
            c.peers.environment(Map.of("TANDEM_DRIVERS", "recording"));
        }
        return c;
    }

    /**
     * Writes {@code prefix} and {@code bytes} random bytes in hex to {@code file}, readable by its owner only from the
     * moment it exists; returns the hex part.
     */
    private static String writeSecret(Path file, String prefix, int bytes) throws IOException {
        byte[] raw = new byte[bytes];
        new java.security.SecureRandom().nextBytes(raw);
        String hex = java.util.HexFormat.of().formatHex(raw);
        Files.deleteIfExists(file);
        Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, prefix + hex + "\n");
        return hex;
    }

    static String yaml(boolean postgres) throws IOException {
        return yaml(postgres, 2);
    }

    static String yaml(boolean postgres, int sites) throws IOException {
        boolean third = sites == 3;
        int pg = freePortOnSites(third);
        String gateway = !postgres ? "" : """
                postgres:
                  bin: embedded   # PostgreSQL 18 from the jar at every site; "" = PG_BIN, the system's, else embedded
                gateway:
                  listen_address: 127.0.0.1
                  http_port: %d
                  admin_port: %d
                  services:
                    - name: postgres
                      mode: active-passive
                      resource: db
                      instances:
                        - {site: kyiv, address: "127.0.1.1:%d"}
                        - {site: frankfurt, address: "127.0.2.1:%d"}
                %s  tcp_listeners:
                    - {name: pg, port: %d, service: postgres}
                """.formatted(ChildPeers.freePort("127.0.0.1"), ChildPeers.freePort("127.0.0.1"), pg, pg,
                third ? "        - {site: warsaw, address: \"127.0.4.1:%d\"}\n".formatted(pg) : "", ChildPeers.freePort("127.0.0.1"));
        String warsaw = !third ? "" : """
                  - name: warsaw
                    address: 127.0.4.1
                    raft_port: %d
                    api_port: %d
                    priority: 25
                """.formatted(ChildPeers.freePort("127.0.4.1"), ChildPeers.freePort("127.0.4.1"));
        return """
                # Written by tandem: %s sites and a witness on this machine's loopback addresses.
                cluster: demo
                data_dir: data
                sites:
                  - name: kyiv
                    address: 127.0.1.1
                    raft_port: %d
                    api_port: %d
                    priority: 100
                  - name: frankfurt
                    address: 127.0.2.1
                    raft_port: %d
                    api_port: %d
                    priority: 50
                %switness:
                  name: witness
                  address: 127.0.3.1
                  raft_port: %d
                  api_port: %d
                resources:
                  - name: db
                    kind: postgres
                    mode: sync
                    port: %d
                """.formatted(third ? "three" : "two", ChildPeers.freePort("127.0.1.1"), ChildPeers.freePort("127.0.1.1"), ChildPeers.freePort("127.0.2.1"),
                ChildPeers.freePort("127.0.2.1"), warsaw, ChildPeers.freePort("127.0.3.1"), ChildPeers.freePort("127.0.3.1"), pg) + gateway;
    }

    /** A port free on every data site's address, for PostgreSQL (each site listens on its own address). */
    private static int freePortOnSites(boolean third) throws IOException {
        return third ? io.tandem.model.net.FreePorts.takeOnAll("127.0.1.1", "127.0.2.1", "127.0.4.1")
                : io.tandem.model.net.FreePorts.takeOnAll("127.0.1.1", "127.0.2.1");
    }

    /** The data sites' names, in the config's order (kyiv, frankfurt, and warsaw when made with three). */
    public java.util.List<String> sites() {
        return sites;
    }

    public Path configFile() {
        return configFile;
    }

    public TandemConfig config() {
        return config;
    }

    public Path logDir() {
        return dir.resolve("logs");
    }

    public ChildPeers peers() {
        return peers;
    }

    public void startAll() throws IOException {
        for (String site : sites) start(site);
        // The witness last, once every site's agent listens: until then no majority exists without every site, so the
        // first Raft leader hears every site and chooses the highest-priority one as the first primary, not whichever
        // site's JVM happened to start faster (the leader waits only fail_after for a site it has not heard).
        for (String site : sites) awaitListening(site, Duration.ofSeconds(60));
        start(WITNESS);
        if (postgres) {
            peers.startGateway();
        }
    }

    /** JDBC URL of a site's PostgreSQL. */
    public String jdbcUrl(String site) {
        return "jdbc:postgresql://" + peer(site).address() + ":" + config.resource("db").orElseThrow().port() + "/postgres";
    }

    /** JDBC URL through the gateway's TCP listener: always the primary, wherever it is. */
    public String gatewayJdbcUrl() {
        return "jdbc:postgresql://" + config.gateway().listenAddress() + ":" + config.gateway().tcpListeners().get(0).port() + "/postgres";
    }

    /** The database superuser and its password (from postgres.password_file, read now). */
    public PgLogin pgUser() {
        Path f = config.postgres().passwordFile();
        try {
            return new PgLogin(config.postgres().superuser(), f == null ? null : Files.readAllLines(f).getFirst());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read the database password from " + f, e);
        }
    }

    /** The file holding the superuser's password, or null. */
    public Path pgPasswordFile() {
        return config.postgres().passwordFile();
    }

    /** Kills a site as a lost data center: its agent and its PostgreSQL, both with SIGKILL. */
    public void killSite(String site) throws InterruptedException {
        postmasterPid(site).flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
        kill(site);
    }

    /** PostgreSQL servers of this cluster that are still running (their postmaster.pid files name live postgres processes). */
    public java.util.List<Long> postgresProcessesAlive() {
        return sites.stream().map(this::postmasterPid).flatMap(Optional::stream)
                .filter(pid -> ProcessHandle.of(pid).map(h -> h.isAlive() && !zombie(pid) && h.info().command().map(c -> c.endsWith("postgres")).orElse(true))
                        .orElse(false)).toList();
    }

    /** An exited process its parent has not reaped yet (a daemonized postmaster's parent is init, which may be slow). */
    private static boolean zombie(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream().anyMatch(l -> l.startsWith("State:") && l.contains("Z"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The pid named in the site's postmaster.pid (alive or not), if the file is there. */
    public Optional<Long> postmasterPid(String site) {
        Path pidFile = config.dataDir().resolve(site).resolve("pg").resolve("db").resolve("data").resolve("postmaster.pid");
        try {
            return Optional.of(Long.parseLong(Files.readAllLines(pidFile).get(0).trim()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Waits until a started peer accepts connections on its api_port; fails at once, naming its log, if it exited. */
    private void awaitListening(String peer, Duration within) throws IOException {
        PeerConfig pc = peer(peer);
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(pc.address(), pc.apiPort()), 200);
                return;
            } catch (IOException e) {
                Process p = peers.processes().get(peer);
                if (p != null && !p.isAlive()) {
                    throw new IOException(peer + " exited (" + p.exitValue() + ") before listening on " + pc.address() + ":" + pc.apiPort()
                            + "; see " + logDir().resolve(peer + ".log"));
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException(peer + " did not listen on " + pc.address() + ":" + pc.apiPort() + " within " + within.toSeconds()
                            + " s; see " + logDir().resolve(peer + ".log"));
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for " + peer, ie);
                }
            }
        }
    }

    public Process start(String peer) throws IOException {
        return peers.start(peer, peer.equals(WITNESS));
    }

    /** SIGKILL: the process gets no chance to clean up, as in a crash. */
    public void kill(String peer) throws InterruptedException {
        Process p = peers.processes().get(peer);
        if (p != null) {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    public long pid(String peer) {
        return peers.processes().get(peer).pid();
    }

    public PeerConfig peer(String name) {
        return config.peer(name).orElseThrow();
    }

    /** The peer's answer to GET /v1/cluster, if it answers within a second. */
    public Optional<JsonNode> view(String peer) {
        return get(peer, "/v1/cluster");
    }

    public Optional<JsonNode> local(String peer) {
        return get(peer, "/v1/local");
    }

    private Optional<JsonNode> get(String peer, String path) {
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(peer(peer).apiUrl() + path)).timeout(Duration.ofSeconds(2)).GET().build();
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.of(Json.MAPPER.readTree(r.body())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The leader's view, asked of the given peers in turn. */
    public Optional<JsonNode> leaderView(String... askFirst) {
        String[] order = askFirst.length > 0 ? askFirst : java.util.stream.Stream.concat(java.util.stream.Stream.of(WITNESS), sites.stream()).toArray(String[]::new);
        for (String p : order) {
            Optional<JsonNode> v = view(p);
            if (v.isPresent() && "leader".equals(v.get().path("source").asText())) return v;
        }
        return Optional.empty();
    }

    /**
     * The leader's view, waiting up to {@link #LEADER_WAIT_MS} for one: a leadership change (an election, or the
     * hand-over to the witness once the cluster is calm) leaves no leader to answer for ~0.1-0.6 s.
     */
    private Optional<JsonNode> leaderViewSoon(String... askFirst) {
        long end = System.nanoTime() + LEADER_WAIT_MS * 1_000_000L;
        Optional<JsonNode> v = leaderView(askFirst);
        while (v.isEmpty() && System.nanoTime() < end) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return v;
            }
            v = leaderView(askFirst);
        }
        return v;
    }

    static final long LEADER_WAIT_MS = 3000;

    /** Primary site of a resource per the leader's view, "" when no leader answers within {@link #LEADER_WAIT_MS} or none is known. */
    public String primary(String resource, String... askFirst) {
        return leaderViewSoon(askFirst).map(v -> {
            for (JsonNode r : v.path("resources")) {
                if (r.path("name").asText().equals(resource)) return r.path("primary").asText();
            }
            return "";
        }).orElse("");
    }

    /** Epoch of a resource per the leader's view, 0 when no leader answers within {@link #LEADER_WAIT_MS}. */
    public long epoch(String resource, String... askFirst) {
        return leaderViewSoon(askFirst).map(v -> {
            for (JsonNode r : v.path("resources")) {
                if (r.path("name").asText().equals(resource)) return r.path("epoch").asLong();
            }
            return 0L;
        }).orElse(0L);
    }

    /** The link faults of this cluster, if it was made with them. */
    public Optional<LinkFaults> linkFaults() {
        return Optional.ofNullable(faults);
    }

    /** Isolates a peer from both others (see {@link LinkFaults#cut}). */
    public void cut(String peer) throws IOException {
        requireFaults().cut(peer);
    }

    public void cutLink(String a, String b) throws IOException {
        requireFaults().cutLink(a, b);
    }

    /** Silently drops what {@code from}'s processes send to {@code site}'s PostgreSQL of {@code resource} (nftables only). */
    public void cutPostgres(String from, String site, String resource) throws IOException {
        PeerConfig p = config.peer(site).orElseThrow();
        requireFaults().cutPort(from, p.address(), config.resource(resource).orElseThrow().port());
    }

    /** The link-fault mode of this cluster, if it was made with link faults. */
    public java.util.Optional<LinkFaults.Mode> linkFaultMode() {
        return java.util.Optional.ofNullable(faults).map(LinkFaults::mode);
    }

    public void heal() throws IOException {
        requireFaults().heal();
    }

    private LinkFaults requireFaults() {
        if (faults != null) return faults;
        throw new IllegalStateException("this cluster was made without link faults; use LocalCluster.create(dir, true) or create(dir, mode)");
    }

    /** Stops every peer, then removes the link faults (the nftables table and cgroups, or the in-process file). */
    @Override
    public void close() {
        peers.close();
        // A site killed with only its agent leaves its PostgreSQL running: stop those, which our agents started.
        for (long pid : postgresProcessesAlive()) {
            ProcessHandle.of(pid).ifPresent(h -> {
                h.destroyForcibly();
                h.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> h).join();
            });
        }
        if (ownedData != null) {
            keepPostgresLogs();
            try (java.util.stream.Stream<Path> all = Files.walk(ownedData)) {
                for (Path x : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
            } catch (IOException e) {
                System.err.println("tandem: could not delete " + ownedData + ": " + e.getMessage());
            }
        }
    }

    /** Copies each PostgreSQL server log (kept beside its data directory) to the log folder as SITE-pg-NAME.log, before the data goes. */
    private void keepPostgresLogs() {
        try (java.util.stream.Stream<Path> all = Files.walk(ownedData)) {
            for (Path log : all.filter(p -> p.getFileName().toString().endsWith(".log") && Files.isRegularFile(p)).toList()) {
                Path site = ownedData.relativize(log).getName(0);
                Files.copy(log, logDir().resolve(site + "-pg-" + log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("tandem: could not keep the PostgreSQL logs of " + ownedData + ": " + e.getMessage());
        }
    }

    /** The file holding this cluster's operator token (mode 0600). */
    public Path operatorTokenFile() {
        return dir.resolve("operator.token");
    }

    /** The file holding this cluster's read-only viewer token (mode 0600). */
    public Path viewerTokenFile() {
        return dir.resolve("viewer.token");
    }

    /** Where the peers keep their state. */
    public Path dataDir() {
        return config.dataDir();
    }
}
