package io.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.cli.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Reads a {@link LocalCluster}'s views for the scenarios: the leader's view of a resource or site, and a peer's own view. */
final class Probe {
    static final String DB = "db";
    static final Duration POLL = Duration.ofMillis(50);

    private final LocalCluster cluster;

    Probe(LocalCluster cluster) {
        this.cluster = cluster;
    }

    /** The leader's view, asked of the witness first, kyiv last (the scenarios cut or kill kyiv, which then answers slowly or not at all). */
    Optional<JsonNode> leaderView() {
        return cluster.leaderView(LocalCluster.WITNESS, LocalCluster.FRANKFURT, LocalCluster.KYIV);
    }

    static Optional<JsonNode> resource(JsonNode view, String name) {
        for (JsonNode r : view.path("resources")) {
            if (r.path("name").asText().equals(name)) return Optional.of(r);
        }
        return Optional.empty();
    }

    static Optional<JsonNode> site(JsonNode view, String name) {
        for (JsonNode s : view.path("sites")) {
            if (s.path("name").asText().equals(name)) return Optional.of(s);
        }
        return Optional.empty();
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(x -> out.add(x.asText()));
        return out;
    }

    /** db as the leader sees it, once a leader answers. */
    Optional<JsonNode> db() {
        return leaderView().flatMap(v -> resource(v, DB));
    }

    /** A peer's own role for db (PRIMARY, STANDBY, FENCED) and whether it is fenced, from GET /v1/local. */
    Optional<Local> local(String peer) {
        return cluster.local(peer).map(n -> new Local(n.path("fenced").asBoolean(), n.path("resources").path(DB).path("role").asText(),
                n.path("resources").path(DB).path("epoch").asLong(), texts(n.path("events"))));
    }

    record Local(boolean fenced, String role, long epoch, List<String> events) {
        /** When this peer's db went to the given role, per its own event log ("<instant> db A->B epoch=N: why"). */
        Optional<Instant> lastChangeTo(String role) {
            Optional<Instant> at = Optional.empty();
            for (String e : events) {
                if (e.contains(" " + DB + " ") && e.contains("->" + role + " ")) at = Optional.of(Instant.parse(e.substring(0, e.indexOf(' '))));
            }
            return at;
        }
    }

    /** How long the witness must have led before the cluster counts as steady (see {@link #awaitSteady}). */
    static final long SETTLED_MS = 2000;

    /**
     * Waits for the steady state the scenarios start from: kyiv primary of db (it has the higher priority),
     * frankfurt in the in-sync set (else a sync-mode failover has no candidate), every peer healthy, the witness leading
     * for {@link #SETTLED_MS} of these polls. Returns db's epoch.
     */
    long awaitSteady() {
        java.util.concurrent.atomic.AtomicLong epoch = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong witnessSeenSince = new java.util.concurrent.atomic.AtomicLong();
        await("kyiv primary of db with frankfurt in sync, all peers healthy, the witness leading").atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    JsonNode v = leaderView().orElseThrow(() -> new AssertionError("no leader answered"));
                    JsonNode db = resource(v, DB).orElseThrow(() -> new AssertionError("no resource db in " + v));
                    assertThat(db.path("primary").asText()).as("primary of db in %s", v).isEqualTo(LocalCluster.KYIV);
                    assertThat(texts(db.path("inSync"))).as("in-sync set of db in %s", v).contains(LocalCluster.FRANKFURT);
                    assertThat(v.path("sites").findValuesAsText("health")).as("health of the peers in %s", v).containsExactly("healthy", "healthy", "healthy");
                    // the scenarios lose a site with the witness leading, as production runs (handed over 5 s after it is heard)
                    if (!v.path("leader").asText().equals(LocalCluster.WITNESS)) witnessSeenSince.set(0);
                    assertThat(v.path("leader").asText()).as("Raft leader in %s", v).isEqualTo(LocalCluster.WITNESS);
                    // and has led a while, as seen by these polls: right after the hand-over the old leader may still be
                    // stepping down and not yet answer the witness, so a site lost then leaves no majority (CI: kyiv
                    // fenced, then promoted again; a scenario meant to start from steady started from a leaderless second)
                    long now = System.nanoTime();
                    witnessSeenSince.compareAndSet(0, now);
                    assertThat(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(now - witnessSeenSince.get()))
                            .as("ms the witness has been seen leading, in %s", v).isGreaterThanOrEqualTo(SETTLED_MS);
                    epoch.set(db.path("epoch").asLong());
                });
        // from the view that was steady: asking again may find no leader for a moment (failed once so, right after start)
        return epoch.get();
    }

    /** Whether a site's PostgreSQL serves db in this role with no action under way, per its own GET /v1/local. */
    boolean serving(String site, String role) {
        return cluster.local(site).map(l -> l.path("resources").path(DB).path("serving").asText().equals(role)
                && l.path("resources").path(DB).path("action").asText().isEmpty()).orElse(false);
    }

    /**
     * Whether the primary's commits really wait for the standby: its synchronous_standby_names names it and
     * pg_stat_replication shows it streaming as a sync (or quorum) standby.
     */
    boolean commitsWaitFor(String primary, String standby) {
        try (java.sql.Connection c = io.tandem.cli.CommitRecorder.connect(cluster.jdbcUrl(primary), cluster.pgUser());
             java.sql.Statement st = c.createStatement();
             java.sql.ResultSet names = st.executeQuery("SHOW synchronous_standby_names")) {
            if (!names.next() || !names.getString(1).contains(standby)) return false;
            try (java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE application_name = '" + standby
                    + "' AND state = 'streaming' AND sync_state IN ('sync', 'quorum')")) {
                return rs.next() && rs.getLong(1) == 1;
            }
        } catch (java.sql.SQLException e) {
            return false;
        }
    }

    /** A setting of a site's PostgreSQL as a new session sees it (SHOW), read directly. */
    String show(String site, String setting) throws java.sql.SQLException {
        try (java.sql.Connection c = io.tandem.cli.CommitRecorder.connect(cluster.jdbcUrl(site), cluster.pgUser());
             java.sql.Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** A broken disk: moves the site's pg_control aside, so its PostgreSQL will not start again once its server dies. */
    void loseControlFile(String site) throws IOException {
        Path global = cluster.dataDir().resolve(site).resolve("pg").resolve(DB).resolve("data").resolve("global");
        Files.move(global.resolve("pg_control"), global.resolve("pg_control.lost"));
    }

    /** Runs one SQL statement on a site's PostgreSQL, directly (not through the gateway). */
    void execute(String site, String sql) throws java.sql.SQLException {
        try (java.sql.Connection c = io.tandem.cli.CommitRecorder.connect(cluster.jdbcUrl(site), cluster.pgUser());
             java.sql.Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The first column of the first row of a query on a site's PostgreSQL. */
    long queryLong(String site, String sql) throws java.sql.SQLException {
        try (java.sql.Connection c = io.tandem.cli.CommitRecorder.connect(cluster.jdbcUrl(site), cluster.pgUser());
             java.sql.Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Every id the writer's table holds on a site's PostgreSQL, read directly. */
    java.util.Set<Long> ids(String site) throws java.sql.SQLException {
        return io.tandem.cli.CommitRecorder.idsOn(cluster.jdbcUrl(site), cluster.pgUser(), 0, Long.MAX_VALUE);
    }

    /** The acknowledged ids that are not in {@code present}. */
    static List<Long> missing(List<io.tandem.cli.CommitRecorder.Ack> acked, java.util.Set<Long> present) {
        return acked.stream().map(io.tandem.cli.CommitRecorder.Ack::id).filter(id -> !present.contains(id)).toList();
    }

    /** Names of data directories the agents set aside (``data.<kind>-<time>``), e.g. kind "diverged" or "stale". */
    List<String> keptAside(String kind) throws IOException {
        try (Stream<Path> all = Files.walk(cluster.dataDir())) {
            return all.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("data." + kind + "-")).toList();
        }
    }

    /** After a real-PostgreSQL scenario: stops the cluster, keeps its logs, and checks no PostgreSQL server outlived it. */
    static void closeAndCheck(LocalCluster cluster, org.junit.jupiter.api.TestInfo test) {
        if (cluster == null) return;
        cluster.close();
        keepLogs(cluster, test.getTestMethod().orElseThrow().getName());
        assertThat(cluster.postgresProcessesAlive()).as("PostgreSQL servers left after close").isEmpty();
    }

    /** The lines of the peers' own logs that contain any of {@code needles}, in time order, each after its log's name. */
    static List<String> logLines(LocalCluster cluster, String... needles) {
        List<String> out = new ArrayList<>();
        try (Stream<Path> logs = Files.list(cluster.logDir())) {
            for (Path p : logs.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                String name = p.getFileName().toString().replaceFirst("\\.log$", "");
                for (String line : Files.readAllLines(p)) {
                    if (Stream.of(needles).anyMatch(line::contains)) out.add(line.length() > 12 ? line.substring(0, 12) + " " + name + line.substring(12) : line);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("reading the logs in " + cluster.logDir(), e);
        }
        out.sort(null); // each line begins with its time of day
        return out;
    }

    /**
     * For a failed assertion's message (CI shows the output, not the kept logs): the last {@code max} lines of the peers'
     * logs about decisions and PostgreSQL, one per line.
     */
    static String recentEvents(LocalCluster cluster, int max) {
        List<String> lines;
        try {
            lines = logLines(cluster, "event=decision", "event=pg-", "event=pg_slot_missing");
        } catch (RuntimeException e) {
            return "(logs unreadable: " + e + ")";
        }
        return "\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - max), lines.size()));
    }

    /** Copies the peers' logs to target/it-logs/NAME so that a failed run can be read after the temp dir is gone. */
    static void keepLogs(LocalCluster cluster, String name) {
        Path to = Path.of("target", "it-logs", name);
        try (Stream<Path> logs = Files.list(cluster.logDir())) {
            Files.createDirectories(to);
            for (Path p : logs.toList()) {
                Files.copy(p, to.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("could not keep the logs of " + name + ": " + e);
        }
    }
}
