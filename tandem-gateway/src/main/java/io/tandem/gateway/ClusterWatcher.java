package io.tandem.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.model.config.PeerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the cluster state by polling every agent's {@code GET /v1/cluster}. Each answer is merged as it
 * arrives (a slow agent never delays the others), and a peer whose previous poll is still out is skipped.
 */
final class ClusterWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterWatcher.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<PeerConfig> peers;
    private final Duration interval;
    private final Duration timeout;
    private final Consumer<ClusterSnapshot> onChange;
    private final HttpClient http;
    private final ScheduledExecutorService timer;
    private final Map<String, Boolean> inFlight = new ConcurrentHashMap<>();
    private final Map<String, String> lastError = new ConcurrentHashMap<>();
    private ClusterSnapshot snapshot = ClusterSnapshot.empty();

    ClusterWatcher(List<PeerConfig> peers, Duration interval, Duration timeout, Consumer<ClusterSnapshot> onChange) {
        this.peers = List.copyOf(peers);
        this.interval = interval;
        this.timeout = timeout;
        this.onChange = onChange;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-gateway-watch");
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).executor(timer).build();
    }

    void start() {
        timer.scheduleWithFixedDelay(this::pollAll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Polls at once, e.g. when a release is asked for and the new primary should be learned without waiting. */
    void pollNow() {
        timer.execute(this::pollAll);
    }

    synchronized ClusterSnapshot snapshot() {
        return snapshot;
    }

    /** Per peer: the last error of a poll, if its last poll failed. */
    Map<String, String> errors() {
        return new HashMap<>(lastError);
    }

    private void pollAll() {
        for (PeerConfig p : peers) {
            if (inFlight.putIfAbsent(p.name(), Boolean.TRUE) != null) continue;
            HttpRequest req = HttpRequest.newBuilder(URI.create(p.apiUrl() + "/v1/cluster")).timeout(timeout).GET().build();
            http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((resp, err) -> {
                inFlight.remove(p.name());
                if (err != null) {
                    failed(p, err.getClass().getSimpleName() + " " + err.getMessage());
                } else if (resp.statusCode() != 200) {
                    failed(p, "HTTP " + resp.statusCode());
                } else {
                    try {
                        accept(parse(resp.body()));
                        lastError.remove(p.name());
                    } catch (IOException | RuntimeException e) {
                        failed(p, "unreadable answer: " + e.getMessage());
                    }
                }
            });
        }
    }

    private void failed(PeerConfig p, String why) {
        if (lastError.put(p.name(), why) == null) {
            log.info("event=cluster_poll_failed peer={} url={} error=\"{}\"", p.name(), p.apiUrl(), why);
        }
    }

    void accept(ClusterSnapshot.Answer a) {
        ClusterSnapshot next;
        boolean changed;
        synchronized (this) {
            next = snapshot.merge(a);
            changed = !next.sameRouting(snapshot);
            snapshot = next;
        }
        if (changed) {
            onChange.accept(next);
        }
    }

    /** Reads the JSON of GET /v1/cluster; unknown fields are ignored, so agents may add to it. */
    static ClusterSnapshot.Answer parse(String body) throws IOException {
        JsonNode root = JSON.readTree(body);
        boolean fromLeader = "leader".equals(root.path("source").asText(""));
        List<ClusterSnapshot.Resource> resources = new ArrayList<>();
        for (JsonNode r : root.path("resources")) {
            resources.add(new ClusterSnapshot.Resource(r.path("name").asText(""), r.path("primary").asText(""), r.path("epoch").asLong(0)));
        }
        Map<String, ClusterSnapshot.SiteState> sites = new HashMap<>();
        for (JsonNode s : root.path("sites")) {
            sites.put(s.path("name").asText(""), new ClusterSnapshot.SiteState(s.path("health").asText("unknown"), s.path("fenced").asBoolean(false)));
        }
        java.util.Set<String> switching = new java.util.HashSet<>();
        for (JsonNode rb : root.path("runbooks")) {
            if (!rb.path("kind").asText("").equals("switchover") || !rb.path("status").asText("").equalsIgnoreCase("running")) continue;
            boolean stopping = false;
            boolean promoted = false;
            for (JsonNode st : rb.path("steps")) {
                stopping |= st.path("step").asText("").equals("stop-writes");
                promoted |= st.path("step").asText("").equals("promote");
            }
            // hold from the moment writes stop until the runbook ends (after the promotion the route moves first)
            if (stopping || promoted) switching.add(rb.path("resource").asText(""));
        }
        return new ClusterSnapshot.Answer(fromLeader, root.path("leader").asText(""), resources, sites, switching);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        http.shutdownNow();
    }
}
