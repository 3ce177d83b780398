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

    private final Path dir;
    private final Path configFile;
    private final TandemConfig config;
    private final ChildPeers peers;
    private final LinkFaults faults; // null when made without link faults or where they are unavailable
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();

    private LocalCluster(Path dir, Path configFile, TandemConfig config, LinkFaults faults) {
        this.dir = dir;
        this.configFile = configFile;
        this.config = config;
        this.faults = faults;
        this.peers = new ChildPeers(configFile, dir.resolve("logs"), faults);
    }

    /** Writes a config into {@code dir} (which must be empty or absent) and returns the cluster, not yet started. */
    public static LocalCluster create(Path dir) throws IOException {
        return create(dir, false);
    }

    /**
     * As {@link #create(Path)}; with {@code linkFaults}, each peer runs in its own cgroup so that {@link #cut} and
     * {@link #cutLink} work, where {@link LinkFaults#availability()} allows it (else the cluster runs without them).
     */
    public static LocalCluster create(Path dir, boolean linkFaults) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("tandem.yaml").toAbsolutePath();
        Files.writeString(file, yaml());
        TandemConfig config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            throw new IllegalStateException("generated config is invalid:\n" + e.getMessage(), e);
        }
        LinkFaults faults = null;
        if (linkFaults && LinkFaults.availability().available()) {
            Map<String, LinkFaults.Endpoint> endpoints = new LinkedHashMap<>();
            config.peers().forEach(p -> endpoints.put(p.name(), new LinkFaults.Endpoint(p.address(), p.raftPort())));
            faults = LinkFaults.open(endpoints);
        }
        return new LocalCluster(dir.toAbsolutePath(), file, config, faults);
    }

    static String yaml() throws IOException {
        return """
                # Written by tandem: two sites and a witness on this machine's loopback addresses.
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
                witness:
                  name: witness
                  address: 127.0.3.1
                  raft_port: %d
                  api_port: %d
                resources:
                  - name: db
                    kind: postgres
                    mode: sync
                """.formatted(ChildPeers.freePort("127.0.1.1"), ChildPeers.freePort("127.0.1.1"), ChildPeers.freePort("127.0.2.1"),
                ChildPeers.freePort("127.0.2.1"), ChildPeers.freePort("127.0.3.1"), ChildPeers.freePort("127.0.3.1"));
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
        start(KYIV);
        start(FRANKFURT);
        start(WITNESS);
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
        String[] order = askFirst.length > 0 ? askFirst : new String[] {WITNESS, KYIV, FRANKFURT};
        for (String p : order) {
            Optional<JsonNode> v = view(p);
            if (v.isPresent() && "leader".equals(v.get().path("source").asText())) return v;
        }
        return Optional.empty();
    }

    /** Primary site of a resource per the leader's view, "" when none is known. */
    public String primary(String resource, String... askFirst) {
        return leaderView(askFirst).map(v -> {
            for (JsonNode r : v.path("resources")) {
                if (r.path("name").asText().equals(resource)) return r.path("primary").asText();
            }
            return "";
        }).orElse("");
    }

    public long epoch(String resource, String... askFirst) {
        return leaderView(askFirst).map(v -> {
            for (JsonNode r : v.path("resources")) {
                if (r.path("name").asText().equals(resource)) return r.path("epoch").asLong();
            }
            return 0L;
        }).orElse(0L);
    }

    /** The link faults of this cluster, if it was made with them and they are available here. */
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

    public void heal() throws IOException {
        requireFaults().heal();
    }

    private LinkFaults requireFaults() {
        if (faults != null) return faults;
        throw new IllegalStateException(LinkFaults.availability().available()
                ? "this cluster was made without link faults; use LocalCluster.create(dir, true)" : LinkFaults.availability().reason());
    }

    /** Stops every peer, then removes the link faults' nftables table and cgroups. */
    @Override
    public void close() {
        peers.close();
    }
}
