package io.tandem.it;

import static io.tandem.cli.LocalCluster.FRANKFURT;
import static io.tandem.cli.LocalCluster.KYIV;
import static io.tandem.cli.LocalCluster.WARSAW;
import static io.tandem.cli.LocalCluster.WITNESS;
import static io.tandem.it.Probe.POLL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tandem.cli.CommitRecorder;
import io.tandem.cli.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three data sites and a witness, sync mode, real PostgreSQL: kyiv primary, frankfurt and warsaw both in the in-sync
 * set. After a failover the new primary's commits still wait for the other in-sync standby, so when the new primary
 * is lost in turn right after its first commits, the last standby has every one of them and is promoted.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ThreeSitesFailoverTest {
    static final long WRITER_MAX_MS = 150_000;

    @TempDir
    Path tmp;

    private LocalCluster cluster;
    private Probe probe;

    @AfterEach
    void stopEverything(TestInfo test) {
        Probe.closeAndCheck(cluster, test);
    }

    @Test
    void theNewPrimaryLostRightAfterItsFirstCommitsLeavesThemOnTheOtherInSyncStandby() throws Exception {
        cluster = LocalCluster.create(tmp.resolve("cluster"), new LocalCluster.Options(true, false, 3));
        probe = new Probe(cluster);
        cluster.startAll();
        // the witness leading, as production runs: handed over once the cluster is calm, so not during the scenario
        await("kyiv primary, frankfurt and warsaw streaming and in sync, every peer healthy, the witness leading").atMost(Duration.ofSeconds(90))
                .pollInterval(POLL)
                .until(() -> inSync().containsAll(List.of(FRANKFURT, WARSAW)) && healthy() == 4 && probe.serving(KYIV, "PRIMARY")
                        && cluster.leaderView().map(v -> v.path("leader").asText()).orElse("").equals(WITNESS)
                        && probe.serving(FRANKFURT, "STANDBY") && probe.serving(WARSAW, "STANDBY")
                        && probe.commitsWaitFor(KYIV, FRANKFURT) && probe.commitsWaitFor(KYIV, WARSAW));
        long epoch = cluster.epoch("db");
        CommitRecorder.createTable(cluster.jdbcUrl(KYIV), cluster.pgUser());

        try (CommitRecorder w = new CommitRecorder(cluster::gatewayJdbcUrl, cluster.pgUser(), 1, WRITER_MAX_MS).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            // the set may have changed while the cluster came up (a busy machine delays a heartbeat past fence_after)
            int blamedBefore = Probe.logLines(cluster, "code=STANDBY_NOT_STREAMING").size();
            long t0 = System.nanoTime();
            cluster.killSite(KYIV); // agent and PostgreSQL: three of the four voters remain
            await("a standby promoted at the next epoch").atMost(Duration.ofSeconds(20)).pollInterval(POLL)
                    .until(() -> cluster.primary("db").matches(FRANKFURT + "|" + WARSAW) && cluster.epoch("db") == epoch + 1);
            String next = cluster.primary("db");
            String last = next.equals(FRANKFURT) ? WARSAW : FRANKFURT;
            // Its time as primary starts at its promotion: the seconds it could not stream from dead kyiv do not count
            // towards copy_fail_after (they did: the next primary was replaced ~2 s early when lost right away).
            long failAfterMs = cluster.config().timing().failAfter().toMillis();
            com.fasterxml.jackson.databind.JsonNode promoted = await(next + " reports serving as primary at the new epoch").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20)).until(() -> cluster.local(next).map(l -> l.path("resources").path("db")).orElse(null),
                            db -> db != null && db.path("serving").asText().equals("PRIMARY") && db.path("epoch").asLong() == epoch + 1);
            assertThat(promoted.path("notStreamingMs").asLong()).as("%s's time without working as primary, just after its promotion: %s", next, promoted)
                    .isLessThan(failAfterMs);
            long promotedSeen = System.nanoTime(); // kyiv's PostgreSQL is gone: a commit acknowledged from now on is next's
            await("first commits on " + next).atMost(Duration.ofSeconds(20)).until(() -> w.firstAckAfter(promotedSeen).isPresent());
            long firstRtoMs = (w.firstAckAfter(promotedSeen).orElseThrow().atNanos() - t0) / 1_000_000L;
            List<String> inSyncAtFirstCommit = inSync();
            String waitsFor = probe.show(next, "synchronous_standby_names");
            List<String> blamed = Probe.logLines(cluster, "code=STANDBY_NOT_STREAMING");

            // ...and the new primary is lost in turn: its disk breaks (it cannot restart) and its server dies
            probe.loseControlFile(next);
            long t1 = System.nanoTime();
            ProcessHandle.of(cluster.postmasterPid(next).orElseThrow()).ifPresent(ProcessHandle::destroyForcibly);
            int ackedBeforeLoss = w.acked().size();
            System.out.printf("three sites: kill kyiv -> %s writes after %d ms (in sync then: %s, its synchronous_standby_names: %s); %d ids acknowledged%n",
                    next, firstRtoMs, inSyncAtFirstCommit, waitsFor, ackedBeforeLoss);
            assertThat(inSyncAtFirstCommit).as(() -> "the in-sync set when " + next + "'s first commits were acknowledged; the peers' logs:"
                    + Probe.recentEvents(cluster, 30)).contains(last);
            // not even for a moment: the standby told to follow the new primary is not blamed for the seconds before
            // (it was once, in CI, for the time since it last streamed from dead kyiv, and left the set)
            assertThat(blamed.subList(Math.min(blamedBefore, blamed.size()), blamed.size()))
                    .as(() -> "standbys taken towards leaving the in-sync set since kyiv was killed; the peers' logs:" + Probe.recentEvents(cluster, 30)).isEmpty();
            assertThat(waitsFor).as("%s's commits wait for %s, which is in the in-sync set", next, last).contains(last);

            await(last + " promoted at the epoch after").atMost(Duration.ofSeconds(40)).pollInterval(POLL)
                    .until(() -> cluster.primary("db").equals(last) && cluster.epoch("db") == epoch + 2);
            await("commits flow on " + last).atMost(Duration.ofSeconds(30))
                    .until(() -> w.acked().stream().filter(a -> a.atNanos() > t1).count() > 100);
            w.close();
            List<Long> lost = Probe.missing(w.acked(), probe.ids(last));
            long secondRtoMs = w.recoveryMillisAfter(t1);
            long copyFailAfterMs = cluster.config().timing().copyFailAfter().toMillis();
            System.out.printf("three sites: %s lost -> %s writes after %d ms (copy_fail_after %d ms); acked=%d lost=%d client_errors=%d%n",
                    next, last, secondRtoMs, copyFailAfterMs, w.acked().size(), lost.size(), w.failures());
            assertThat(lost).as("acknowledged ids missing on %s", last).isEmpty();
            // copy_fail_after counts from the last probe that saw next work (every 250 ms), not from before its promotion
            assertThat(secondRtoMs).as("%s replaced only once copy_fail_after has passed", next).isGreaterThan(copyFailAfterMs - 500);
        }
    }

    private List<String> inSync() {
        return probe.db().map(db -> Probe.texts(db.path("inSync"))).orElse(List.of());
    }

    private int healthy() {
        return probe.leaderView().map(v -> (int) v.path("sites").findValuesAsText("health").stream().filter("healthy"::equals).count()).orElse(0);
    }
}
