package io.tandem.it;

import static io.tandem.cli.LocalCluster.FRANKFURT;
import static io.tandem.cli.LocalCluster.KYIV;
import static io.tandem.it.Probe.POLL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tandem.cli.CommitRecorder;
import io.tandem.cli.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's PostgreSQL fails while its agent runs (killed by the OOM killer, crashed, hung): the agent restarts a
 * crashed server in its role without a failover, and a standby that stops streaming leaves the in-sync set within
 * fail_after, so the primary's writes never wait for it for ever. Sync mode, real PostgreSQL, a writer recording every
 * acknowledged id.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PostgresCrashTest {
    static final long WRITER_MAX_MS = 120_000;

    @TempDir
    Path tmp;

    private LocalCluster cluster;
    private Probe probe;
    private final List<Long> stopped = new ArrayList<>();

    private long start() throws Exception {
        return start(false);
    }

    private long start(boolean linkFaults) throws Exception {
        cluster = LocalCluster.create(tmp.resolve("cluster"), new LocalCluster.Options(true, linkFaults));
        probe = new Probe(cluster);
        cluster.startAll();
        probe.awaitSteady();
        await("kyiv primary, frankfurt streaming and in sync").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                .until(() -> probe.serving(KYIV, "PRIMARY") && probe.serving(FRANKFURT, "STANDBY") && inSync(FRANKFURT));
        CommitRecorder.createTable(cluster.jdbcUrl(KYIV), cluster.pgUser());
        return cluster.epoch("db");
    }

    @AfterEach
    void stopEverything(TestInfo test) {
        resume(); // never leave a stopped process behind
        Probe.closeAndCheck(cluster, test);
    }

    @Test
    void aStandbysPostgresqlKilledAloneIsRestartedByItsAgentAndReentersTheInSyncSet() throws Exception {
        long epoch = start();
        try (CommitRecorder w = new CommitRecorder(() -> cluster.jdbcUrl(KYIV), cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            long t0 = System.nanoTime();
            long pid = postmaster(FRANKFURT);
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            await("frankfurt's agent restarts its PostgreSQL").atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                    .until(() -> log(FRANKFURT).contains("event=pg-restarted site=frankfurt resource=db role=STANDBY"));
            await("frankfurt streams again and is in the in-sync set").atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                    .until(() -> postmaster(FRANKFURT) != pid && probe.serving(FRANKFURT, "STANDBY") && inSync(FRANKFURT) && streams(FRANKFURT));
            await("commits flow after the restart").atMost(Duration.ofSeconds(20))
                    .until(() -> w.acked().stream().filter(a -> a.atNanos() > t0).count() > 200);
            w.close();
            long pauseMs = w.longestPauseMillisAfter(t0);
            long failAfter = cluster.config().timing().failAfter().toMillis();
            System.out.printf("standby's postgres killed alone: write pause %d ms (fail_after %d ms)%n", pauseMs, failAfter);
            assertThat(pauseMs).as("the primary waits for the lost standby at most until it leaves the in-sync set").isLessThan(failAfter + 1000);
            assertThat(cluster.primary("db")).isEqualTo(KYIV);
            assertThat(cluster.epoch("db")).as("no failover").isEqualTo(epoch);
            assertThat(Probe.missing(w.acked(), probe.ids(KYIV))).isEmpty();
            await("frankfurt has every acknowledged row").atMost(Duration.ofSeconds(20))
                    .until(() -> Probe.missing(w.acked(), probe.ids(FRANKFURT)).isEmpty());
        }
    }

    @Test
    void aPrimarysPostgresqlKilledAloneIsRestartedInPlaceWithoutAFailoverAndLosesNoCommit() throws Exception {
        long epoch = start();
        try (CommitRecorder w = new CommitRecorder(cluster::gatewayJdbcUrl, cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            long t0 = System.nanoTime();
            long pid = postmaster(KYIV);
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            await("kyiv's agent restarts its PostgreSQL").atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                    .until(() -> log(KYIV).contains("event=pg-restarted site=kyiv resource=db role=PRIMARY"));
            await("commits flow again through the gateway").atMost(Duration.ofSeconds(30))
                    .until(() -> w.acked().stream().filter(a -> a.atNanos() > t0).count() > 200);
            w.close();
            System.out.printf("primary's postgres killed alone: writes resumed after %d ms%n", w.recoveryMillisAfter(t0));
            assertThat(cluster.primary("db")).isEqualTo(KYIV);
            assertThat(cluster.epoch("db")).as("restarted in place, no failover").isEqualTo(epoch);
            assertThat(Probe.missing(w.acked(), probe.ids(KYIV))).as("acknowledged ids missing after crash recovery").isEmpty();
            await("frankfurt streams from kyiv again, in sync").atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                    .until(() -> inSync(FRANKFURT) && streams(FRANKFURT));
        }
    }

    @Test
    void aPrimarysPostgresqlThatCannotBeRestartedIsReplacedByTheInSyncStandbyThroughItsAgent() throws Exception {
        long epoch = start();
        try (CommitRecorder w = new CommitRecorder(cluster::gatewayJdbcUrl, cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            // a broken disk: the control file is gone, so PostgreSQL will not start again; then the server dies
            probe.loseControlFile(KYIV);
            long t0 = System.nanoTime();
            ProcessHandle.of(postmaster(KYIV)).ifPresent(ProcessHandle::destroyForcibly);
            await("frankfurt promoted at the next epoch").atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                    .until(() -> cluster.primary("db").equals(FRANKFURT) && cluster.epoch("db") == epoch + 1);
            await("commits flow again through the gateway").atMost(Duration.ofSeconds(30))
                    .until(() -> w.acked().stream().filter(a -> a.atNanos() > t0).count() > 200);
            w.close();
            System.out.printf("primary's postgres cannot restart: writes resumed on frankfurt after %d ms (copy_fail_after = %d ms)%n",
                    w.recoveryMillisAfter(t0), cluster.config().timing().copyFailAfter().toMillis());
            assertThat(log(KYIV)).contains("event=pg-restart-failed site=kyiv resource=db role=PRIMARY");
            assertThat(log(KYIV) + log(FRANKFURT) + log(LocalCluster.WITNESS)).as("the leader's decision, in its log")
                    .contains("code=PRIMARY_COPY_FAILED").contains("fenced through its agent");
            assertThat(Probe.missing(w.acked(), probe.ids(FRANKFURT))).as("acknowledged ids missing on the new primary").isEmpty();
            // kyiv's agent still runs: it rejoins as a standby by a fresh clone, the broken data directory kept aside
            await("kyiv follows frankfurt").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                    .until(() -> probe.serving(KYIV, "STANDBY") && streams(KYIV));
            assertThat(probe.keptAside("diverged")).hasSize(1);
        }
    }

    @Test
    void aHungPrimarysPostgresqlIsKilledByItsAgentsFenceAndReplacedByTheInSyncStandby() throws Exception {
        long epoch = start();
        try (CommitRecorder w = new CommitRecorder(cluster::gatewayJdbcUrl, cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            long pid = postmaster(KYIV);
            long t0 = System.nanoTime();
            stop(KYIV); // every process of kyiv's PostgreSQL stopped: it neither answers nor exits on SIGQUIT
            await("frankfurt promoted at the next epoch").atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                    .until(() -> cluster.primary("db").equals(FRANKFURT) && cluster.epoch("db") == epoch + 1);
            await("commits flow again through the gateway").atMost(Duration.ofSeconds(30))
                    .until(() -> w.acked().stream().filter(a -> a.atNanos() > t0).count() > 200);
            w.close();
            System.out.printf("primary's postgres hung: writes resumed on frankfurt after %d ms (copy_fail_after = %d ms)%n",
                    w.recoveryMillisAfter(t0), cluster.config().timing().copyFailAfter().toMillis());
            assertThat(log(KYIV)).as("the fence finished the stopped server with SIGKILL").contains("event=pg_killed site=kyiv");
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> !zombie(h.pid()))).as("the old postmaster is gone").isEmpty();
            assertThat(log(KYIV) + log(FRANKFURT) + log(LocalCluster.WITNESS)).contains("code=PRIMARY_COPY_FAILED");
            assertThat(Probe.missing(w.acked(), probe.ids(FRANKFURT))).as("acknowledged ids missing on the new primary").isEmpty();
            stopped.clear(); // killed: nothing to resume
            await("kyiv, its agent still running, follows frankfurt").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                    .until(() -> probe.serving(KYIV, "STANDBY") && streams(KYIV));
        }
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (java.io.IOException e) {
            return true; // gone
        }
    }

    @Test
    void aSilentlyDroppedReplicationLinkTakesTheStandbyOutOfTheInSyncSetWithinFailAfter() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.tandem.cli.LinkFaults.availability().available(),
                "needs nftables: " + io.tandem.cli.LinkFaults.availability().reason());
        long epoch = start(true);
        assertThat(cluster.linkFaultMode()).contains(io.tandem.cli.LinkFaults.Mode.NFTABLES);
        try (CommitRecorder w = new CommitRecorder(() -> cluster.jdbcUrl(KYIV), cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            long t0 = System.nanoTime();
            // both agents, the witness and the quorum stay fine: only frankfurt's replication connection goes silent
            cluster.cutPostgres(FRANKFURT, KYIV, "db");
            await("commits flow again without frankfurt").atMost(Duration.ofSeconds(20))
                    .until(() -> w.acked().stream().filter(a -> a.atNanos() > t0).count() > 100);
            long pauseMs = w.longestPauseMillisAfter(t0);
            long failAfter = cluster.config().timing().failAfter().toMillis();
            System.out.printf("standby's replication link silently dropped: write pause %d ms (fail_after %d ms)%n", pauseMs, failAfter);
            // silence noticed after 1.5 s (the standby pings after 1 s), then fail_after, then the two-step release
            assertThat(pauseMs).isLessThan(failAfter + 3000);
            assertThat(inSync(FRANKFURT)).isFalse();
            assertThat(cluster.primary("db")).isEqualTo(KYIV);
            assertThat(cluster.epoch("db")).as("no failover").isEqualTo(epoch);
            cluster.heal();
            await("frankfurt streams again and re-enters the in-sync set").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                    .until(() -> inSync(FRANKFURT) && streams(FRANKFURT));
            w.close();
            assertThat(Probe.missing(w.acked(), probe.ids(KYIV))).isEmpty();
            await("frankfurt has every acknowledged row").atMost(Duration.ofSeconds(20))
                    .until(() -> Probe.missing(w.acked(), probe.ids(FRANKFURT)).isEmpty());
        }
    }

    @Test
    void aHungStandbyLeavesTheInSyncSetWithinFailAfterAndIsNeverPromotedWhenThePrimaryIsLostThen() throws Exception {
        long epoch = start();
        // in the in-sync set is not enough: kyiv's commits must actually wait for frankfurt (not leaving, not yet re-added)
        await("kyiv's commits wait for frankfurt").atMost(Duration.ofSeconds(30)).pollInterval(POLL).until(() -> probe.commitsWaitFor(KYIV, FRANKFURT));
        try (CommitRecorder w = new CommitRecorder(() -> cluster.jdbcUrl(KYIV), cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            long t0 = System.nanoTime();
            stop(FRANKFURT); // every process of its PostgreSQL stopped: alive, but neither answering nor confirming WAL
            // counted from when the stop is complete: commits acknowledged while it was under way are not "again"
            long stallFrom = System.nanoTime();
            await("commits flow again without frankfurt").atMost(Duration.ofSeconds(20))
                    .until(() -> w.acked().stream().filter(a -> a.atNanos() > stallFrom).count() > 100);
            long pauseMs = w.longestPauseMillisAfter(t0);
            long failAfter = cluster.config().timing().failAfter().toMillis();
            System.out.printf("standby's postgres hung: write pause %d ms (fail_after %d ms)%n", pauseMs, failAfter);
            // the stall begins at the last probe that saw it stream (every 250 ms), then fail_after, then one heartbeat
            assertThat(pauseMs).isLessThan(failAfter + 1000);
            assertThat(pauseMs).as("commits did wait for frankfurt while it was in the in-sync set").isGreaterThan(failAfter / 2);
            assertThat(inSync(FRANKFURT)).isFalse();
            assertThat(log(KYIV) + log(FRANKFURT) + log(LocalCluster.WITNESS)).as("the leader's decision, in its log")
                    .contains("code=STANDBY_NOT_STREAMING");
            assertThat(cluster.primary("db")).isEqualTo(KYIV);
            w.close();

            // Out of the in-sync set, frankfurt lacks acknowledged commits: losing kyiv now must not promote it.
            cluster.killSite(KYIV);
            await("the leader opens a failover and finds no candidate").atMost(Duration.ofSeconds(15)).pollInterval(POLL)
                    .until(() -> (log(LocalCluster.WITNESS) + log(FRANKFURT)).contains("code=FAILOVER_BLOCKED"));
            resume(); // even streaming again, it cannot catch up with a primary that is gone
            long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            while (System.nanoTime() < until) {
                long now = cluster.epoch("db", FRANKFURT); // 0: no answer this instant
                if (now != 0) assertThat(now).as("frankfurt, out of the in-sync set, is never promoted").isEqualTo(epoch);
                Thread.sleep(100);
            }
            // kyiv comes back: it is still the primary of its epoch, and frankfurt follows it again
            cluster.start(KYIV);
            await("kyiv primary again at its epoch, frankfurt streaming and in sync").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                    .until(() -> probe.serving(KYIV, "PRIMARY") && inSync(FRANKFURT) && streams(FRANKFURT));
            assertThat(cluster.primary("db")).isEqualTo(KYIV);
            assertThat(cluster.epoch("db")).isEqualTo(epoch);
            assertThat(Probe.missing(w.acked(), probe.ids(KYIV))).as("acknowledged ids missing after kyiv's return").isEmpty();
            await("frankfurt has every acknowledged row").atMost(Duration.ofSeconds(20))
                    .until(() -> Probe.missing(w.acked(), probe.ids(FRANKFURT)).isEmpty());
        }
    }

    /** SIGSTOP to the site's postmaster and every process under it; {@link #resume} undoes it. */
    private void stop(String site) throws Exception {
        long pid = postmaster(site);
        List<Long> all = new ArrayList<>();
        all.add(pid);
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> all.add(d.pid())));
        for (long p : all) {
            if (signal("STOP", p)) stopped.add(p);
        }
        assertThat(stopped).as("the postmaster itself is stopped").contains(pid);
    }

    private void resume() {
        for (long p : stopped) {
            try {
                signal("CONT", p);
            } catch (Exception e) {
                // gone already
            }
        }
        stopped.clear();
    }

    /** Sends a signal with kill(1) (Java has no SIGSTOP); true when it reached the process. */
    private static boolean signal(String sig, long pid) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return k.waitFor(5, TimeUnit.SECONDS) && k.exitValue() == 0;
    }

    private long postmaster(String site) {
        return cluster.postmasterPid(site).orElseThrow(() -> new AssertionError(site + " has no postmaster.pid"));
    }

    private boolean inSync(String site) {
        return probe.db().map(db -> Probe.texts(db.path("inSync")).contains(site)).orElse(false);
    }

    private boolean streams(String site) {
        return cluster.local(site).map(l -> l.path("resources").path("db").path("lagBytes").asLong(-1) >= 0).orElse(false);
    }

    private String log(String site) {
        try {
            return Files.readString(cluster.logDir().resolve(site + ".log"));
        } catch (java.io.IOException e) {
            return "";
        }
    }


}
