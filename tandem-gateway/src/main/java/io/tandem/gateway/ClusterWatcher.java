package io.tandem.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.model.config.PeerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the cluster state with a long-poll per agent: {@code GET /v1/cluster?after=V&wait=1000}, where V is the
 * state version of that agent's last answer. An agent answers as soon as it has applied a newer state (a new primary,
 * a switchover's stop-writes step), else after the wait; the next request goes out at once. An agent that answers
 * without waiting (no long-poll) is asked again every {@code poll_interval}, and so is one whose request failed.
 * Each agent has a thread of its own ({@code tandem-gw-watch-<peer>}, a helper's priority) that polls it over one
 * kept connection with {@link AgentHttp}, so a slow agent never delays the others; each answer is merged as it
 * arrives. An answer whose bytes are those of the agent's previous answer is not parsed again.
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
    /** Runs {@link #pollNow()}'s one-off requests. */
    private final ExecutorService oneOff;
    /** Each agent's polling thread and its connection, from {@link #start()}. */
    private final List<Poller> pollers = new ArrayList<>();
    private final Map<String, Long> versions = new ConcurrentHashMap<>();
    private final Map<String, String> lastError = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private ClusterSnapshot snapshot = ClusterSnapshot.empty();

    ClusterWatcher(List<PeerConfig> peers, Duration interval, Duration timeout, Consumer<ClusterSnapshot> onChange) {
        this.peers = List.copyOf(peers);
        this.interval = interval;
        this.timeout = timeout;
        this.onChange = onChange;
        this.oneOff = Executors.newSingleThreadExecutor(r -> helper(r, "tandem-gw-watch"));
    }

    private static Thread helper(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.setPriority(ThreadPriorities.HELPER);
        return t;
    }

    private record Poller(Thread thread, AgentHttp http) {}

    private AgentHttp connectionTo(PeerConfig p) {
        return new AgentHttp(p.address(), p.apiPort(), timeout);
    }

    synchronized void start() {
        for (PeerConfig p : peers) {
            AgentHttp http = connectionTo(p);
            Poller poller = new Poller(helper(() -> watch(p, http), "tandem-gw-watch-" + p.name()), http);
            pollers.add(poller);
            poller.thread().start();
        }
    }

    /** Asks every agent once at once, without waiting, e.g. when a release is asked for and the new primary should be learned now. */
    void pollNow() {
        for (PeerConfig p : peers) {
            try {
                oneOff.execute(() -> {
                    try (AgentHttp http = connectionTo(p)) {
                        ask(p, http, -1, new Last());
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                return; // closed
            }
        }
    }

    synchronized ClusterSnapshot snapshot() {
        return snapshot;
    }

    /** Per peer: the last error of a poll, if its last poll failed. */
    Map<String, String> errors() {
        return new HashMap<>(lastError);
    }

    /** The last answer read from one agent, kept so that the same bytes are not parsed again. */
    private static final class Last {
        byte[] body;
        ClusterSnapshot.Answer answer;
    }

    /** Long-polls {@code p} until closed: at once after a changed state or a real long-poll, else after poll_interval. */
    private void watch(PeerConfig p, AgentHttp http) {
        Last last = new Last();
        while (!closed) {
            long after = versions.getOrDefault(p.name(), -1L);
            long t0 = System.nanoTime();
            boolean ok = ask(p, http, after, last);
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            long newer = versions.getOrDefault(p.name(), -1L);
            // a changed state, or a real long-poll that timed out: ask again now; else (an error, or an agent that
            // answers at once) pace the loop by poll_interval
            if (ok && (newer > after || tookMs >= WAIT_MS / 2)) continue;
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                return; // closed
            }
        }
    }

    /** One request; true when it brought a state that was merged. */
    private boolean ask(PeerConfig p, AgentHttp http, long after, Last last) {
        String query = after < 0 ? "" : "?after=" + after + "&wait=" + WAIT_MS;
        AgentHttp.Response resp;
        try {
            resp = http.get("/v1/cluster" + query, after < 0 ? timeout : timeout.plusMillis(WAIT_MS));
        } catch (IOException | RuntimeException e) {
            if (!closed) failed(p, e.getClass().getSimpleName() + " " + e.getMessage());
            return false;
        }
        if (resp.status() != 200) {
            failed(p, "HTTP " + resp.status());
            return false;
        }
        try {
            ClusterSnapshot.Answer a = java.util.Arrays.equals(resp.body(), last.body) ? last.answer : parse(resp.text());
            last.body = resp.body();
            last.answer = a;
            versions.put(p.name(), a.version());
            accept(a);
            lastError.remove(p.name());
            return true;
        } catch (IOException | RuntimeException e) {
            failed(p, "unreadable answer: " + e.getMessage());
            return false;
        }
    }

    private void failed(PeerConfig p, String why) {
        if (lastError.put(p.name(), why) == null) {
            log.info("event=cluster_poll_failed peer={} url={} error=\"{}\"", p.name(), p.apiUrl(), why);
        }
    }

    /**
     * Merges one agent's answer and hands a changed snapshot on. Under the lock, so that answers arriving together
     * from several agents' threads reach the router in the order they were merged: otherwise a thread that merged the
     * older state could hand it on last, and the route would go back to a primary whose epoch is known to be stale.
     */
    synchronized void accept(ClusterSnapshot.Answer a) {
        ClusterSnapshot next = snapshot.merge(a);
        boolean changed = !next.sameRouting(snapshot);
        snapshot = next;
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
        oneOff.shutdownNow();
        synchronized (this) {
            for (Poller p : pollers) {
                p.thread().interrupt(); // one that sleeps between polls
                p.http().abort(); // one that waits in a long-poll: its read fails at once
            }
        }
    }
}
