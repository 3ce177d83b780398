package io.tandem.it;

import static io.tandem.cli.LocalCluster.FRANKFURT;
import static io.tandem.cli.LocalCluster.KYIV;
import static io.tandem.it.Probe.POLL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.cli.LocalCluster;
import io.tandem.cli.StatusCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real PostgreSQL in async mode with max_lag_on_failover 64kB: a standby further behind than that is never promoted,
 * status says why with the numbers, and once it has replayed what it received it is promoted on its own.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AsyncFailoverTest {
    @TempDir
    Path tmp;

    private LocalCluster cluster;
    private Probe probe;

    @AfterEach
    void stopEverything(TestInfo test) {
        Probe.closeAndCheck(cluster, test);
    }

    @Test
    void aStandbyBeyondMaxLagIsNotPromotedUntilItHasReplayedWhatItReceived() throws Exception {
        cluster = LocalCluster.create(tmp.resolve("cluster"), new LocalCluster.Options(true, false));
        String yaml = Files.readString(cluster.configFile());
        assertThat(yaml).contains("    mode: sync\n");
        Files.writeString(cluster.configFile(), yaml.replace("    mode: sync\n", "    mode: async\n    max_lag_on_failover: 64kB\n"));
        probe = new Probe(cluster);
        cluster.startAll();
        probe.awaitSteady(); // frankfurt caught up: in async mode too it enters the in-sync set (a candidate list, not a wait)
        await("kyiv primary, frankfurt streaming").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                .until(() -> cluster.primary("db").equals(KYIV) && serving(KYIV, "PRIMARY") && serving(FRANKFURT, "STANDBY"));
        long epoch = cluster.epoch("db");
        execute(KYIV, "CREATE TABLE filler (id int PRIMARY KEY, pad text)");
        execute(KYIV, "INSERT INTO filler SELECT g, repeat('a', 100) FROM generate_series(1, 100) g");
        // (a standby may still restart once after its clone: connection errors are retried)
        await("frankfurt has the first rows").atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> count(FRANKFURT) == 100);

        // frankfurt keeps receiving WAL but stops replaying it: it falls behind by ~2 MB (async commits do not wait)
        await("replay paused on frankfurt").atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> execute(FRANKFURT, "SELECT pg_wal_replay_pause()"));
        execute(KYIV, "INSERT INTO filler SELECT g, repeat('b', 1000) FROM generate_series(101, 2100) g");
        await("frankfurt reports a lag beyond 64kB").atMost(Duration.ofSeconds(20)).pollInterval(POLL)
                .until(() -> cluster.local(KYIV).map(l -> l.path("resources").path("db").path("position").asLong()).orElse(0L)
                        - cluster.local(FRANKFURT).map(l -> l.path("resources").path("db").path("position").asLong()).orElse(0L) > 64 * 1024);
        Thread.sleep(600); // the leader hears both positions with the next heartbeats

        cluster.killSite(KYIV);
        await("the failover waits for a standby within max_lag_on_failover").atMost(Duration.ofSeconds(15)).pollInterval(POLL)
                .until(() -> probe.leaderView().map(v -> v.path("controller").path("code").asText()).orElse("").equals("FAILOVER_BLOCKED"));
        JsonNode view = probe.leaderView().orElseThrow();
        String status = StatusCommand.table(view);
        System.out.println(status);
        assertThat(status).contains("controller: failover", "frankfurt lags", "more than max_lag_on_failover 64kB", "--accept-data-loss");
        Thread.sleep(2000); // fail_after and more: still not promoted
        assertThat(cluster.primary("db")).as("a standby beyond max_lag_on_failover is never promoted").isNotEqualTo(FRANKFURT);
        assertThat(count(FRANKFURT)).as("frankfurt replays nothing while paused").isEqualTo(100);

        // it replays what it received: now within the bound, and promoted without an operator
        execute(FRANKFURT, "SELECT pg_wal_replay_resume()");
        await("frankfurt promoted after catching up").atMost(Duration.ofSeconds(20)).pollInterval(POLL)
                .until(() -> cluster.primary("db").equals(FRANKFURT) && cluster.epoch("db") == epoch + 1);
        await("frankfurt takes writes").atMost(Duration.ofSeconds(20)).until(() -> {
            try {
                execute(FRANKFURT, "INSERT INTO filler VALUES (5000, 'after')");
                return true;
            } catch (SQLException e) {
                return false;
            }
        });
        assertThat(count(FRANKFURT)).as("every row kyiv had sent before it died").isEqualTo(2101);
    }

    private boolean serving(String site, String role) {
        return probe.serving(site, role);
    }

    private void execute(String site, String sql) throws SQLException {
        probe.execute(site, sql);
    }

    private long count(String site) throws SQLException {
        return probe.queryLong(site, "SELECT count(*) FROM filler");
    }
}
