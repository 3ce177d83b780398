package io.tandem.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.cli.CommitRecorder;
import io.tandem.cli.LocalCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Tandem's side of {@code tandem bench failover}: two sites with real PostgreSQL, the witness and the gateway
 * ({@link LocalCluster} with PostgreSQL); a {@link CommitRecorder} commits through the gateway's PostgreSQL listener.
 * A failover run kills the primary site (agent and PostgreSQL, SIGKILL) and restarts it afterwards, so the
 * killed site alternates; a switchover run asks the agents for a planned switchover to the standby.
 */
final class TandemHaScenario implements AutoCloseable {
    static final String DB = "db";
    private static final long WRITER_MAX_MS = 120_000;
    private static final long WARMUP_MS = 3_000;
    private static final long TAIL_MS = 2_000;
    private static final long FIRST_STEADY_MS = 180_000; // initdb, the standby's clone
    private static final long STEADY_MS = 120_000; // a rejoin may re-clone
    private static final long PROMOTION_MS = 30_000;
    private static final long SWITCHOVER_MS = 60_000;

    /** One failover run; {@code rto} -1 when the writer never recovered. */
    record Failover(String killed, long rtoMs, int lostRows, long acked, long failed, long rejoinMs) {}

    /** One switchover run; {@code error} non-empty when the agents refused or it did not complete. */
    record Switchover(String from, String to, long pauseMs, long failed, int lostRows, long requestMs, String error) {}

    /** The state a run starts from: a primary, the other site in its in-sync set and streaming, every peer healthy. */
    record Steady(String primary, String standby, long epoch) {}

    private final LocalCluster cluster;
    private final PrintWriter err;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private TandemHaScenario(LocalCluster cluster, PrintWriter err, String token) {
        this.cluster = cluster;
        this.err = err;
        this.token = token;
    }

    /** Creates the cluster in {@code dir} with an operator token for the switchover API, starts it and waits for the steady state. */
    static TandemHaScenario start(Path dir, PrintWriter err) throws Exception {
        LocalCluster c = LocalCluster.create(dir, new LocalCluster.Options(true, false));
        try {
            String token = addOperator(c.configFile());
            TandemHaScenario s = new TandemHaScenario(c, err, token);
            long t = System.nanoTime();
            c.startAll();
            Steady st = s.awaitSteady(FIRST_STEADY_MS);
            CommitRecorder.createTable(c.jdbcUrl(st.primary()), c.pgUser());
            s.progress("tandem: cluster up in %d ms, %s primary, %s in sync (PostgreSQL logs and agents in %s)",
                    (System.nanoTime() - t) / 1_000_000, st.primary(), st.standby(), c.logDir());
            return s;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    /** Adds an API user of role operator with a fresh random token to the config, before the peers start; returns the token. */
    private static String addOperator(Path configFile) throws IOException {
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        String token = HexFormat.of().formatHex(raw);
        String sha;
        try {
            sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String user = "  - {name: bench, role: operator, token_sha256: " + sha + "}\n";
        String yaml = Files.readString(configFile);
        if (yaml.contains("\nusers:\n")) {
            yaml = yaml.replace("\nusers:\n", "\nusers:\n" + user);
        } else {
            yaml = yaml + (yaml.endsWith("\n") ? "" : "\n") + "users:\n" + user;
        }
        Files.writeString(configFile, yaml);
        return token;
    }

    // ------------------------------------------------------------------ failover

    Failover failover(int run) throws Exception {
        Steady st = awaitSteady(STEADY_MS);
        long base = run * 10_000_000L;
        try (CommitRecorder w = new CommitRecorder(cluster.gatewayJdbcUrl(), cluster.pgUser(), base, WRITER_MAX_MS).start()) {
            warmUp(w);
            long t0 = System.nanoTime();
            cluster.killSite(st.primary());
            until("the promotion of " + st.standby() + " after killing " + st.primary(), PROMOTION_MS,
                    () -> promoted(st, st.standby(), cluster.leaderView(LocalCluster.WITNESS, st.standby())));
            long promoted = System.nanoTime();
            until(() -> "commit through the gateway after the promotion (last client error: " + w.lastError() + ")", PROMOTION_MS,
                    () -> w.ackedSince(promoted) > 0);
            Thread.sleep(TAIL_MS);
            w.close();
            long rto = w.recoveryMillisAfter(t0);
            List<Long> lost = w.missingFrom(CommitRecorder.idsOn(cluster.jdbcUrl(st.standby()), cluster.pgUser(), base, w.lastId()));
            long failed = w.failuresSince(t0);
            progress("tandem: failover %d: killed %s (agent + PostgreSQL), %s promoted; rto_ms=%d rpo_rows=%d acked=%d client_errors=%d",
                    run, st.primary(), st.standby(), rto, lost.size(), w.acked().size(), failed);
            long t1 = System.nanoTime();
            cluster.start(st.primary());
            Steady back = awaitSteady(STEADY_MS);
            long rejoinMs = (System.nanoTime() - t1) / 1_000_000;
            progress("tandem: failover %d: %s restarted, back in sync as standby of %s in %d ms", run, back.standby(), back.primary(), rejoinMs);
            return new Failover(st.primary(), rto, lost.size(), w.acked().size(), failed, rejoinMs);
        }
    }

    // ---------------------------------------------------------------- switchover

    /**
     * Whether the agents serve POST /v1/switchover: anything but 404 (an unknown mutation) means they do; an
     * unauthenticated request is refused with 401 before it can do anything.
     */
    Optional<String> switchoverUnavailable() {
        for (String peer : List.of(LocalCluster.WITNESS, LocalCluster.KYIV, LocalCluster.FRANKFURT)) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(cluster.peer(peer).apiUrl() + "/v1/switchover"))
                        .timeout(Duration.ofSeconds(3)).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 404 ? Optional.of("POST /v1/switchover answers 404 at " + peer) : Optional.empty();
            } catch (IOException e) {
                // ask the next peer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.of("interrupted");
            }
        }
        return Optional.of("no agent answered POST /v1/switchover");
    }

    Switchover switchover(int run) throws Exception {
        Steady st = awaitSteady(STEADY_MS);
        long base = (100 + run) * 10_000_000L;
        try (CommitRecorder w = new CommitRecorder(cluster.gatewayJdbcUrl(), cluster.pgUser(), base, WRITER_MAX_MS).start()) {
            warmUp(w);
            long wall0 = System.currentTimeMillis();
            long t0 = System.nanoTime();
            String body = "{\"resource\":\"" + DB + "\",\"to\":\"" + st.standby() + "\"}";
            HttpResponse<String> r = postSwitchover(body);
            long requestMs = (System.nanoTime() - t0) / 1_000_000;
            String error = "";
            if (r == null || r.statusCode() / 100 != 2) {
                error = r == null ? "no agent answered POST /v1/switchover" : "POST /v1/switchover " + body + " -> " + r.statusCode() + " " + oneLine(r.body());
            } else {
                try {
                    until("the switchover to " + st.standby(), SWITCHOVER_MS,
                            () -> promoted(st, st.standby(), cluster.leaderView(LocalCluster.WITNESS, st.standby(), st.primary())));
                    long promoted = System.nanoTime();
                    until(() -> "commit through the gateway after the switchover (last client error: " + w.lastError() + ")", SWITCHOVER_MS,
                            () -> w.ackedSince(promoted) > 0);
                } catch (IllegalStateException e) {
                    error = e.getMessage();
                }
            }
            Thread.sleep(TAIL_MS);
            w.close();
            long pause = w.longestPauseMillisAfter(t0);
            String now = cluster.primary(DB, LocalCluster.WITNESS, st.standby(), st.primary());
            List<Long> lost = w.missingFrom(CommitRecorder.idsOn(cluster.jdbcUrl(now.isEmpty() ? st.standby() : now), cluster.pgUser(), base, w.lastId()));
            Switchover s = new Switchover(st.primary(), st.standby(), pause, w.failuresSince(t0), lost.size(), requestMs, error);
            progress("tandem: switchover %d: %s -> %s: pause_ms=%d failed=%d rpo_rows=%d request_ms=%d%s", run, s.from(), s.to(), s.pauseMs(),
                    s.failed(), s.lostRows(), s.requestMs(), error.isEmpty() ? "" : " ERROR " + error);
            progress("tandem: switchover %d timeline (ms after the request): %s", run, timeline(w, t0, wall0));
            return s;
        }
    }

    /** The runbook's steps and the client's view of the pause, in ms after the request, to see where a pause comes from. */
    private String timeline(CommitRecorder w, long t0, long wall0) {
        StringBuilder sb = new StringBuilder("runbook");
        cluster.leaderView(LocalCluster.WITNESS, LocalCluster.KYIV, LocalCluster.FRANKFURT).ifPresent(v -> {
            JsonNode last = null;
            for (JsonNode rb : v.path("runbooks")) {
                if (rb.path("kind").asText().equals("switchover")) last = rb;
            }
            if (last == null) return;
            for (JsonNode st : last.path("steps")) {
                sb.append(' ').append(st.path("step").asText()).append('@').append(st.path("atMs").asLong() - wall0);
            }
            sb.append(' ').append(last.path("status").asText().toLowerCase(Locale.ROOT)).append('@').append(last.path("endedMs").asLong() - wall0);
        });
        w.longestPauseAfter(t0).ifPresent(p -> sb.append("; client: last ack before the pause @")
                .append(p[0] == null ? "-" : String.valueOf((p[0].atNanos() - t0) / 1_000_000)).append(", first after @").append((p[1].atNanos() - t0) / 1_000_000));
        List<CommitRecorder.Failure> f = w.failuresAfter(t0);
        sb.append(", failed attempts ").append(f.size());
        f.stream().limit(6).forEach(x -> sb.append(" @").append((x.atNanos() - t0) / 1_000_000).append(" \"").append(oneLine(x.message())).append('"'));
        return sb.toString();
    }

    private HttpResponse<String> postSwitchover(String body) throws InterruptedException {
        for (String peer : List.of(LocalCluster.WITNESS, LocalCluster.KYIV, LocalCluster.FRANKFURT)) {
            try {
                return http.send(HttpRequest.newBuilder(URI.create(cluster.peer(peer).apiUrl() + "/v1/switchover"))
                        .timeout(Duration.ofMillis(SWITCHOVER_MS)).header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                // ask the next peer
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ helpers

    private void warmUp(CommitRecorder w) throws InterruptedException {
        long started = System.nanoTime();
        until(() -> "commit through the gateway (last client error: " + w.lastError() + ")", 30_000, () -> w.ackedSince(started) > 0);
        Thread.sleep(WARMUP_MS);
    }

    private static boolean promoted(Steady before, String site, Optional<JsonNode> view) {
        return view.flatMap(TandemHaScenario::db)
                .map(db -> db.path("primary").asText().equals(site) && db.path("epoch").asLong() > before.epoch())
                .orElse(false);
    }

    Steady awaitSteady(long timeoutMs) throws InterruptedException {
        long end = System.nanoTime() + timeoutMs * 1_000_000L;
        String why = "";
        while (System.nanoTime() < end) {
            Optional<String> notYet = notSteady();
            if (notYet.isEmpty()) return steadyNow().orElseThrow();
            why = notYet.get();
            Thread.sleep(200);
        }
        throw new IllegalStateException("not steady within " + timeoutMs / 1000 + " s: " + why + " (logs in " + cluster.logDir() + ")");
    }

    private Optional<Steady> steadyNow() {
        return cluster.leaderView(LocalCluster.WITNESS, LocalCluster.KYIV, LocalCluster.FRANKFURT).flatMap(TandemHaScenario::db).map(db -> {
            String p = db.path("primary").asText();
            return new Steady(p, other(p), db.path("epoch").asLong());
        });
    }

    /** Why the cluster is not in the steady state yet, or empty when it is. */
    private Optional<String> notSteady() {
        Optional<JsonNode> view = cluster.leaderView(LocalCluster.WITNESS, LocalCluster.KYIV, LocalCluster.FRANKFURT);
        if (view.isEmpty()) return Optional.of("no Raft leader answers");
        JsonNode v = view.get();
        JsonNode db = db(v).orElse(null);
        if (db == null) return Optional.of("no resource db");
        String p = db.path("primary").asText();
        if (!p.equals(LocalCluster.KYIV) && !p.equals(LocalCluster.FRANKFURT)) return Optional.of("no primary");
        String s = other(p);
        if (!db.path("inSync").toString().contains("\"" + s + "\"")) return Optional.of(s + " not in the in-sync set");
        for (JsonNode site : v.path("sites")) {
            if (!site.path("health").asText().equals("healthy")) return Optional.of(site.path("name").asText() + " " + site.path("health").asText());
        }
        for (JsonNode rb : v.path("runbooks")) {
            if (rb.path("status").asText().equals("RUNNING")) return Optional.of("a runbook is running");
        }
        if (!serving(p, "PRIMARY")) return Optional.of(p + "'s PostgreSQL not serving as primary yet");
        if (!serving(s, "STANDBY")) return Optional.of(s + "'s PostgreSQL not serving as standby yet");
        try (Connection c = CommitRecorder.connect(cluster.jdbcUrl(p), cluster.pgUser()); Statement q = c.createStatement();
             ResultSet rs = q.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state IN ('sync', 'quorum')")) {
            if (!rs.next() || rs.getLong(1) < 1) return Optional.of(s + " not streaming as a synchronous standby of " + p);
        } catch (SQLException e) {
            return Optional.of("cannot ask " + p + "'s PostgreSQL: " + e.getMessage());
        }
        return Optional.empty();
    }

    private boolean serving(String site, String role) {
        return cluster.local(site).map(l -> l.path("resources").path(DB).path("serving").asText().equals(role)
                && l.path("resources").path(DB).path("action").asText().isEmpty()).orElse(false);
    }

    private static Optional<JsonNode> db(JsonNode view) {
        for (JsonNode r : view.path("resources")) {
            if (r.path("name").asText().equals(DB)) return Optional.of(r);
        }
        return Optional.empty();
    }

    private static String other(String site) {
        return site.equals(LocalCluster.KYIV) ? LocalCluster.FRANKFURT : LocalCluster.KYIV;
    }

    private static void until(String what, long timeoutMs, BooleanSupplier done) throws InterruptedException {
        until(() -> what, timeoutMs, done);
    }

    private static void until(Supplier<String> what, long timeoutMs, BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) throw new IllegalStateException("no " + what.get() + " within " + timeoutMs / 1000 + " s");
            Thread.sleep(20);
        }
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("\\s+", " ").trim();
        return t.length() > 300 ? t.substring(0, 300) + "..." : t;
    }

    private void progress(String format, Object... args) {
        err.printf(format + "%n", args);
        err.flush();
    }

    /** After a run that failed half-way: starts every peer whose process is not running, so that the next run can start. */
    void restartStopped() throws IOException {
        for (String peer : List.of(LocalCluster.KYIV, LocalCluster.FRANKFURT, LocalCluster.WITNESS)) {
            Process p = cluster.peers().processes().get(peer);
            if (p == null || !p.isAlive()) {
                progress("tandem: restarting %s", peer);
                cluster.start(peer);
            }
        }
    }

    @Override
    public void close() {
        cluster.close();
    }
}
