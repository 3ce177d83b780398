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
 * Follows the cluster state with a long-poll per agent: {@code GET /v1/cluster?after=V&wait=1000}, where V is the
 * state version of that agent's last answer. An agent answers as soon as it has applied a newer state (a new primary,
 * a switchover's stop-writes step), else after the wait; the next request goes out at once. An agent that answers
 * without waiting (no long-poll) is asked again every {@code poll_interval}, and so is one whose request failed.
 * Each answer is merged as it arrives, so a slow agent never delays the others.
 */
final class ClusterWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterWatcher.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long an agent may hold a long-poll; also bounds how stale the unversioned parts of a view (fenced flags) get. */
    static final long WAIT_MS = 1000;

    private final List<PeerConfig> peers;
    private final Duration interval;
    private final Duration timeout;
    private final Consumer<ClusterSnapshot> onChange;
    private final HttpClient http;
    private final ScheduledExecutorService timer;
    private final Map<String, Long> versions = new ConcurrentHashMap<>();
    private final Map<String, String> lastError = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private ClusterSnapshot snapshot = ClusterSnapshot.empty();

    ClusterWatcher(List<PeerConfig> peers, Duration interval, Duration timeout, Consumer<ClusterSnapshot> onChange) {
        this.peers = List.copyOf(peers);
        this.interval = interval;
        this.timeout = timeout;
        this.onChange = onChange;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-gw-watch");
            t.setDaemon(true);
            t.setPriority(ThreadPriorities.HELPER);
            return t;
        });
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).executor(timer).build();
    }

    void start() {
        for (PeerConfig p : peers) timer.execute(() -> watch(p));
    }

    /** Asks every agent once at once, without waiting, e.g. when a release is asked for and the new primary should be learned now. */
    void pollNow() {
        for (PeerConfig p : peers) timer.execute(() -> ask(p, -1, null));
    }

    synchronized ClusterSnapshot snapshot() {
        return snapshot;
    }

    /** Per peer: the last error of a poll, if its last poll failed. */
    Map<String, String> errors() {
        return new HashMap<>(lastError);
    }

    /** One long-poll of {@code p}; when it ends, the next is scheduled (at once, or after poll_interval). */
    private void watch(PeerConfig p) {
        if (closed) return;
        long after = versions.getOrDefault(p.name(), -1L);
        long t0 = System.nanoTime();
        ask(p, after, ok -> {
            if (closed) return;
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            long newer = versions.getOrDefault(p.name(), -1L);
            // a changed state, or a real long-poll that timed out: ask again now; else (an error, or an agent that
            // answers at once) pace the loop by poll_interval
            boolean again = ok && (newer > after || tookMs >= WAIT_MS / 2);
            timer.schedule(() -> watch(p), again ? 0 : interval.toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    private void ask(PeerConfig p, long after, Consumer<Boolean> then) {
        String query = after < 0 ? "" : "?after=" + after + "&wait=" + WAIT_MS;
        HttpRequest req = HttpRequest.newBuilder(URI.create(p.apiUrl() + "/v1/cluster" + query))
                .timeout(after < 0 ? timeout : timeout.plusMillis(WAIT_MS)).GET().build();
        http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((resp, err) -> {
            boolean ok = false;
            if (err != null) {
                failed(p, err.getClass().getSimpleName() + " " + err.getMessage());
            } else if (resp.statusCode() != 200) {
                failed(p, "HTTP " + resp.statusCode());
            } else {
                try {
                    ClusterSnapshot.Answer a = parse(resp.body());
                    versions.put(p.name(), a.version());
                    accept(a);
                    lastError.remove(p.name());
                    ok = true;
                } catch (IOException | RuntimeException e) {
                    failed(p, "unreadable answer: " + e.getMessage());
                }
            }
            if (then != null) then.accept(ok);
        });
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
        return new ClusterSnapshot.Answer(fromLeader, root.path("leader").asText(""), resources, sites, switching, root.path("version").asLong(-1));
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        http.shutdownNow();
    }
}
