package io.tandem.it;

import static io.tandem.cli.LocalCluster.FRANKFURT;
import static io.tandem.cli.LocalCluster.KYIV;
import static io.tandem.it.Probe.POLL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tandem.cli.LinkFaults;
import io.tandem.cli.CommitRecorder;
import io.tandem.cli.LocalCluster;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real PostgreSQL at both sites, driven by the agents, in sync mode: a client commits increasing ids and
 * records each acknowledged one; after each fault every acknowledged id must be on the primary.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PostgresFailoverTest {
    static final long WRITER_MAX_MS = 120_000;

    @TempDir
    Path tmp;

    private LocalCluster cluster;
    private Probe probe;

    private void start(boolean linkFaults) throws Exception {
        cluster = LocalCluster.create(tmp.resolve("cluster"), new LocalCluster.Options(true, linkFaults));
        probe = new Probe(cluster);
        cluster.startAll();
        probe.awaitSteady();
        await("kyiv's PostgreSQL serves as primary and frankfurt's streams").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                .until(() -> serving(KYIV, "PRIMARY") && serving(FRANKFURT, "STANDBY"));
        assertPasswordRequired();
        CommitRecorder.createTable(cluster.jdbcUrl(KYIV), cluster.pgUser());
    }

    /** Every scenario runs with postgres.password_file: scram-sha-256 at both sites, no connection without it. */
    private void assertPasswordRequired() throws Exception {
        for (String site : List.of(KYIV, FRANKFURT)) {
            Path hba = cluster.dataDir().resolve(site).resolve("pg/db/data/pg_hba.conf");
            assertThat(java.nio.file.Files.readString(hba)).as(hba.toString()).contains("scram-sha-256").doesNotContain("trust");
        }
        assertThatThrownBy(() -> CommitRecorder.connect(cluster.gatewayJdbcUrl(), new io.tandem.cli.PgLogin(cluster.pgUser().user(), null)).close())
                .isInstanceOf(SQLException.class).hasMessageContaining("password");
    }

    private boolean serving(String site, String role) {
        return probe.serving(site, role);
    }

    @AfterEach
    void stopEverything(TestInfo test) {
        Probe.closeAndCheck(cluster, test);
    }



    @Test
    void killingThePrimarySiteLosesNoAcknowledgedCommitAndTheOldPrimaryRejoins() throws Exception {
        start(false);
        long epoch = probe.awaitSteady();
        // through the gateway's PostgreSQL listener: the client never changes its address
        try (CommitRecorder w = new CommitRecorder(cluster::gatewayJdbcUrl, cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            long t0 = System.nanoTime();
            cluster.killSite(KYIV);
            await("frankfurt promoted").atMost(Duration.ofSeconds(15)).pollInterval(POLL)
                    .until(() -> cluster.primary("db").equals(FRANKFURT) && cluster.epoch("db") == epoch + 1);
            await("commits flow again on frankfurt").atMost(Duration.ofSeconds(20)).until(() -> w.firstAckAfter(t0).isPresent());
            await().atMost(Duration.ofSeconds(10)).until(() -> w.acked().stream().filter(a -> a.atNanos() > t0).count() > 100);
            w.close();
            long rtoMs = w.recoveryMillisAfter(t0);
            List<Long> lost = Probe.missing(w.acked(), probe.ids(FRANKFURT));
            System.out.printf("kill kyiv (agent + postgres): rto_ms=%d acked=%d lost=%d client_errors=%d%n", rtoMs, w.acked().size(), lost.size(), w.failures());
            assertThat(lost).as("acknowledged ids missing on the new primary").isEmpty();
        }

        // The old primary comes back, is re-cloned or rewound, and follows the new primary.
        cluster.start(KYIV);
        await("kyiv rejoins as a streaming standby").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                .until(() -> serving(KYIV, "STANDBY") && probe.db().map(db -> db.path("inSync").toString().contains(KYIV)).orElse(false));
        Set<Long> onFrankfurt = probe.ids(FRANKFURT);
        await("kyiv has every row of frankfurt").atMost(Duration.ofSeconds(20)).until(() -> probe.ids(KYIV).containsAll(onFrankfurt));
        // the embedded binaries have no pg_rewind: the diverged old primary was re-cloned, its old copy kept aside
        assertThat(java.nio.file.Files.readString(cluster.logDir().resolve("kyiv.log")))
                .contains("event=pg-rejoined site=kyiv resource=db primary=frankfurt method=reclone");
        assertThat(probe.keptAside("diverged")).hasSize(1);

        // What a load balancer's health checks see now
        assertThat(httpStatus(FRANKFURT, "/v1/health/primary")).isEqualTo(200);
        assertThat(httpStatus(KYIV, "/v1/health/primary")).isEqualTo(503);
        await("kyiv is a replica within 16 MB").atMost(Duration.ofSeconds(10)).until(() -> httpStatus(KYIV, "/v1/health/replica?maxLagBytes=16777216") == 200);
        assertThat(httpStatus(FRANKFURT, "/v1/health/replica")).isEqualTo(503);
        assertThat(httpStatus(KYIV, "/v1/health/replica?maxLagBytes=lots")).isEqualTo(400);
    }

    @Test
    void switchoverUnderLoadLosesNoCommitAndPausesWritesBriefly() throws Exception {
        start(false);
        long epoch = probe.awaitSteady();
        // the primary's data directory is streamed only to a request that proves it comes from an agent of the cluster
        String clone = cluster.peer(KYIV).apiUrl() + "/v1/internal/postgres/db/clone?slot=probe_slot";
        var http = java.net.http.HttpClient.newHttpClient();
        var plain = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(clone)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(403);
        assertThat(plain.body()).contains("no proof of membership");
        var stale = java.net.http.HttpRequest.newBuilder(java.net.URI.create(clone));
        io.tandem.postgres.CloneAuth.headers(cluster.pgPasswordFile(), "db", "probe_slot", System.currentTimeMillis() - 120_000).forEach(stale::header);
        var old = http.send(stale.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(old.statusCode()).isEqualTo(403);
        assertThat(old.body()).contains("too old");
        try (CommitRecorder w = new CommitRecorder(cluster::gatewayJdbcUrl, cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            // a viewer may look, not move the primary
            Cli.Run refused = Cli.tandem("switchover", "--config", cluster.configFile().toString(), "--to", FRANKFURT,
                    "--token-file", cluster.viewerTokenFile().toString());
            assertThat(refused.exit()).as(refused.err()).isEqualTo(io.tandem.cli.Main.BAD_INPUT);
            assertThat(refused.err()).contains("HTTP 403");
            assertThat(cluster.primary("db")).isEqualTo(KYIV);
            long t0 = System.nanoTime();
            Cli.Run moved = Cli.tandem("switchover", "--config", cluster.configFile().toString(), "--to", FRANKFURT,
                    "--token-file", cluster.operatorTokenFile().toString());
            assertThat(moved.exit()).as(moved.err()).isEqualTo(io.tandem.cli.Main.OK);
            assertThat(moved.out()).as("the command reports the write pause it caused").containsPattern("writes paused about \\d+ ms");
            await("frankfurt primary at the next epoch").atMost(Duration.ofSeconds(20)).pollInterval(POLL)
                    .until(() -> cluster.primary("db").equals(FRANKFURT) && cluster.epoch("db") == epoch + 1);
            await("commits flow on frankfurt").atMost(Duration.ofSeconds(20))
                    .until(() -> w.acked().stream().filter(a -> a.atNanos() > t0).count() > 200);
            w.close();
            long pauseMs = w.longestPauseMillisAfter(t0);
            List<Long> lost = Probe.missing(w.acked(), probe.ids(FRANKFURT));
            System.out.printf("switchover kyiv -> frankfurt: pause_ms=%d acked=%d lost=%d client_errors=%d%n", pauseMs, w.acked().size(), lost.size(), w.failures());
            assertThat(lost).as("committed ids missing after the switchover").isEmpty();
            assertThat(pauseMs).as("write pause of a switchover").isLessThan(5000);
        }
        var rb = probe.leaderView().orElseThrow().path("runbooks");
        var last = rb.get(rb.size() - 1);
        assertThat(last.path("kind").asText()).isEqualTo("switchover");
        assertThat(last.path("status").asText()).isEqualToIgnoringCase("succeeded");
        assertThat(last.toString()).contains("stop-writes", "caught-up", "promote");
        // audited: who asked for it, on every peer's copy of the log
        String audit = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(cluster.peer(KYIV).apiUrl() + "/v1/audit")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(audit).contains("\"who\" : \"operator\"").contains("db from kyiv to frankfurt").doesNotContain("\"who\" : \"viewer\"");
        // tandem status names the new primary and where to reach it
        Cli.Run status = Cli.tandem("status", "--config", cluster.configFile().toString());
        assertThat(status.out()).containsPattern("(?m)^db +frankfurt +" + (epoch + 1) + " +"
                + java.util.regex.Pattern.quote(cluster.peer(FRANKFURT).address() + ":" + cluster.config().resource("db").orElseThrow().port()));
        await("kyiv follows frankfurt").atMost(Duration.ofSeconds(60)).pollInterval(POLL).until(() -> serving(KYIV, "STANDBY"));
        // stopped cleanly by the switchover, the old primary follows the new timeline as it is: no clone, nothing set aside
        assertThat(java.nio.file.Files.readString(cluster.logDir().resolve("kyiv.log")))
                .contains("event=pg-rejoined site=kyiv resource=db primary=frankfurt method=follow").doesNotContain("method=reclone");
        assertThat(probe.keptAside("diverged")).isEmpty();
        await("kyiv back in the in-sync set").atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                .until(() -> probe.db().map(db -> db.path("inSync").toString().contains(KYIV)).orElse(false));
    }

    @Test
    void anAgentKilledAloneTakesItsPostgresqlDownWithItBeforeAnotherSiteIsPromoted() throws Exception {
        start(false);
        long epoch = probe.awaitSteady();
        long t0 = System.nanoTime();
        cluster.kill(KYIV); // the agent only: its PostgreSQL would otherwise go on taking writes
        // (the postmaster's exit is seen by trying to use it: its parent is init, which may reap it late)
        await("kyiv's PostgreSQL refuses connections").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> !accepts(cluster.jdbcUrl(KYIV)));
        long stoppedMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("agent killed alone: its PostgreSQL stopped after %d ms (fence_after %d ms)%n", stoppedMs,
                cluster.config().timing().fenceAfter().toMillis());
        assertThat(stoppedMs).isLessThan(cluster.config().timing().fenceAfter().toMillis());
        await("frankfurt promoted").atMost(Duration.ofSeconds(15)).pollInterval(POLL)
                .until(() -> cluster.primary("db").equals(FRANKFURT) && cluster.epoch("db") == epoch + 1);
    }

    private boolean accepts(String url) {
        try (Connection c = CommitRecorder.connect(url, cluster.pgUser()); Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private int httpStatus(String site, String path) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(cluster.peer(site).apiUrl() + path)).timeout(Duration.ofSeconds(5)).build();
        return http.send(req, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void losingTheSyncStandbyStallsWritesOnlyUntilItLeavesTheInSyncSet() throws Exception {
        start(false);
        try (CommitRecorder w = new CommitRecorder(() -> cluster.jdbcUrl(KYIV), cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            long t0 = System.nanoTime();
            cluster.killSite(FRANKFURT);
            await("commits flow again without frankfurt").atMost(Duration.ofSeconds(20))
                    .until(() -> w.acked().stream().filter(a -> a.atNanos() > t0).count() > 100);
            w.close();
            long pauseMs = w.longestPauseMillisAfter(t0);
            long failAfter = cluster.config().timing().failAfter().toMillis();
            System.out.printf("kill frankfurt (sync standby): write pause %d ms (fail_after %d ms)%n", pauseMs, failAfter);
            // the bound: fail_after + 1 s (each hop of the release handshake goes at the fast heartbeat)
            assertThat(pauseMs).isLessThan(failAfter + 1000);
            // and commits did wait for the lost standby: sync replication was really on
            assertThat(pauseMs).as("commits stalled while frankfurt was still in the in-sync set").isGreaterThan(failAfter / 2);
            assertThat(probe.db().orElseThrow().path("inSync").toString()).doesNotContain(FRANKFURT);
            assertThat(cluster.primary("db")).as("the stale standby is never promoted").isEqualTo(KYIV);
            assertThat(Probe.missing(w.acked(), probe.ids(KYIV))).isEmpty();
        }
    }

    @Test
    void primaryCutOffFromTheQuorumStopsAcceptingWritesWithinFenceAfter() throws Exception {
        start(true); // nftables where it works, else the agents' in-process layer: the lease fences either way
        System.out.println("link faults: " + cluster.linkFaultMode().map(LinkFaults.Mode::label).orElse("none"));
        try (CommitRecorder w = new CommitRecorder(() -> cluster.jdbcUrl(KYIV), cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            long t0 = System.nanoTime();
            cluster.cut(KYIV);
            await("frankfurt promoted").atMost(Duration.ofSeconds(15)).pollInterval(POLL).until(() -> cluster.primary("db", FRANKFURT).equals(FRANKFURT));
            w.close();
            long lastAckMs = w.acked().stream().mapToLong(CommitRecorder.Ack::atNanos).max().orElse(t0) - t0;
            long fenceAfter = cluster.config().timing().fenceAfter().toMillis();
            System.out.printf("cut kyiv: last commit acknowledged by kyiv %d ms after the cut (fence_after %d ms)%n", lastAckMs / 1_000_000, fenceAfter);
            // the lease is given up 100 ms before fence_after, so PostgreSQL has stopped by then; 100 ms more for a loaded machine
            assertThat(lastAckMs / 1_000_000).isLessThan(fenceAfter + 100);
        }
    }
}
