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
 * failback: auto against real PostgreSQL: the preferred site (kyiv) is killed, frankfurt takes over, kyiv comes back,
 * rejoins on its own, and once it has been in sync for failback_after the primary moves back to it by a planned
 * switchover, under load, with no acknowledged commit lost.
 */
class FailbackTest {
    @TempDir
    Path tmp;

    private LocalCluster cluster;

    @AfterEach
    void stopEverything(TestInfo test) {
        Probe.closeAndCheck(cluster, test);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void thePreferredSiteTakesThePrimaryBackOnceInSyncWithoutLosingACommit() throws Exception {
        cluster = LocalCluster.create(tmp.resolve("cluster"), new LocalCluster.Options(true, false));
        String yaml = Files.readString(cluster.configFile());
        assertThat(yaml).contains("    mode: sync\n");
        Files.writeString(cluster.configFile(), yaml.replace("    mode: sync\n", "    mode: sync\n    failback: auto\n")
                + "timing:\n  failback_after: 3s\n");
        Probe probe = new Probe(cluster);
        cluster.startAll();
        long epoch = probe.awaitSteady();
        await("both PostgreSQL servers serve").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                .until(() -> probe.serving(KYIV, "PRIMARY") && probe.serving(FRANKFURT, "STANDBY"));
        CommitRecorder.createTable(cluster.jdbcUrl(KYIV), cluster.pgUser());

        try (CommitRecorder w = new CommitRecorder(cluster::gatewayJdbcUrl, cluster.pgUser(), 1, 180_000).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            cluster.killSite(KYIV);
            await("frankfurt promoted").atMost(Duration.ofSeconds(15)).pollInterval(POLL)
                    .until(() -> cluster.primary("db").equals(FRANKFURT) && cluster.epoch("db") == epoch + 1);
            long failedOver = w.acked().size();
            await("commits flow on frankfurt").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > failedOver + 200);

            cluster.start(KYIV);
            long t0 = System.nanoTime();
            await("kyiv rejoins and takes the primary back by failback").atMost(Duration.ofSeconds(120)).pollInterval(POLL)
                    .until(() -> cluster.primary("db").equals(KYIV) && cluster.epoch("db") == epoch + 2 && probe.serving(KYIV, "PRIMARY"));
            long backMs = (System.nanoTime() - t0) / 1_000_000;
            long failedBack = w.acked().size();
            await("commits flow on kyiv again").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > failedBack + 200);
            w.close();

            Set<Long> onKyiv = CommitRecorder.idsOn(cluster.jdbcUrl(KYIV), cluster.pgUser(), 0, Long.MAX_VALUE);
            List<Long> lost = w.acked().stream().map(CommitRecorder.Ack::id).filter(id -> !onKyiv.contains(id)).toList();
            System.out.printf("failback to kyiv: %d ms after its restart, acked=%d lost=%d client_errors=%d%n", backMs, w.acked().size(),
                    lost.size(), w.failures());
            assertThat(lost).as("acknowledged ids missing after the failback").isEmpty();
            var runbooks = probe.leaderView().orElseThrow().path("runbooks");
            var last = runbooks.get(runbooks.size() - 1);
            assertThat(last.path("kind").asText()).isEqualTo("switchover");
            assertThat(last.path("toSite").asText()).isEqualTo(KYIV);
            assertThat(last.path("steps").toString()).as("the switchover was requested by failback").contains("failback");
        }
        await("frankfurt follows kyiv").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                .until(() -> probe.serving(FRANKFURT, "STANDBY") && probe.db().map(db -> db.path("inSync").toString().contains(FRANKFURT)).orElse(false));
    }
}
