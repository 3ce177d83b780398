package io.tandem.it;

import static io.tandem.cli.LocalCluster.FRANKFURT;
import static io.tandem.cli.LocalCluster.KYIV;
import static io.tandem.it.Probe.POLL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tandem.cli.CommitRecorder;
import io.tandem.cli.LocalCluster;
import io.tandem.postgres.PgBinaries;
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
 * The agents on binaries that have pg_basebackup and pg_rewind (the system's PostgreSQL, `postgres.bin` in
 * tandem.yaml): the standby is cloned with pg_basebackup, and the killed former primary comes back by pg_rewind,
 * without a re-clone and without a data directory set aside. (The embedded binaries' paths, the backup-API clone
 * and the re-clone, are what {@link PostgresFailoverTest} runs.)
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SystemToolsFailoverTest {
    @TempDir
    Path tmp;

    private LocalCluster cluster;

    @AfterEach
    void stopEverything(TestInfo test) {
        Probe.closeAndCheck(cluster, test);
    }

    @Test
    void standbyClonedWithPgBasebackupAndFormerPrimaryRewound() throws Exception {
        PgBinaries system = PgBinaries.system().orElse(null);
        assumeTrue(system != null && system.tool("pg_basebackup").isPresent() && system.tool("pg_rewind").isPresent(),
                "no system PostgreSQL with pg_basebackup and pg_rewind under /usr/lib/postgresql (.ci/run installs it as root)");
        cluster = LocalCluster.create(tmp.resolve("cluster"), new LocalCluster.Options(true, false));
        String yaml = Files.readString(cluster.configFile());
        assertThat(yaml).containsPattern("(?m)^  bin: embedded");
        Files.writeString(cluster.configFile(), yaml.replaceFirst("(?m)^  bin: embedded.*$", "  bin: " + system.binDir()));
        Probe probe = new Probe(cluster);
        cluster.startAll();
        long epoch = probe.awaitSteady();
        await("both PostgreSQL servers serve").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                .until(() -> probe.serving(KYIV, "PRIMARY") && probe.serving(FRANKFURT, "STANDBY"));
        assertThat(log(FRANKFURT)).as("frankfurt's agent log").contains("event=pg-cloned site=frankfurt resource=db from=kyiv method=pg_basebackup");
        CommitRecorder.createTable(cluster.jdbcUrl(KYIV), cluster.pgUser());

        try (CommitRecorder w = new CommitRecorder(cluster::gatewayJdbcUrl, cluster.pgUser(), 1, 60_000).start()) {
            await("commits flow").atMost(Duration.ofSeconds(20)).until(() -> w.acked().size() > 200);
            long t0 = System.nanoTime();
            cluster.killSite(KYIV);
            await("frankfurt promoted").atMost(Duration.ofSeconds(15)).pollInterval(POLL)
                    .until(() -> cluster.primary("db").equals(FRANKFURT) && cluster.epoch("db") == epoch + 1);
            await("commits flow on frankfurt").atMost(Duration.ofSeconds(20)).until(() -> w.ackedSince(t0) > 100);
            w.close();
            Set<Long> onFrankfurt = CommitRecorder.idsOn(cluster.jdbcUrl(FRANKFURT), cluster.pgUser(), 0, Long.MAX_VALUE);
            List<Long> lost = w.missingFrom(onFrankfurt);
            assertThat(lost).as("acknowledged ids missing on the new primary").isEmpty();
        }

        cluster.start(KYIV);
        await("kyiv rejoins as a streaming standby in the in-sync set").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                .until(() -> probe.serving(KYIV, "STANDBY") && probe.db().map(db -> db.path("inSync").toString().contains(KYIV)).orElse(false));
        assertThat(log(KYIV)).as("kyiv's agent log").contains("event=pg-rejoined site=kyiv resource=db primary=frankfurt method=pg_rewind")
                .doesNotContain("method=reclone");
        assertThat(probe.keptAside("diverged")).as("a rewind keeps nothing aside").isEmpty();
        Set<Long> onFrankfurt = CommitRecorder.idsOn(cluster.jdbcUrl(FRANKFURT), cluster.pgUser(), 0, Long.MAX_VALUE);
        await("kyiv has every row of frankfurt").atMost(Duration.ofSeconds(20))
                .until(() -> CommitRecorder.idsOn(cluster.jdbcUrl(KYIV), cluster.pgUser(), 0, Long.MAX_VALUE).containsAll(onFrankfurt));
    }

    private String log(String site) throws java.io.IOException {
        return Files.readString(cluster.logDir().resolve(site + ".log"));
    }
}
