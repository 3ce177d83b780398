package io.tandem.it;

import static io.tandem.cli.LocalCluster.FRANKFURT;
import static io.tandem.cli.LocalCluster.KYIV;
import static io.tandem.it.Probe.POLL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tandem.cli.CommitRecorder;
import io.tandem.cli.LocalCluster;
import io.tandem.cli.PgLogin;
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
 * A new postgres.password_file while the cluster runs: the primary's agent sets it within seconds, with no restart and
 * no failover; the standby's next replication connection uses it.
 */
class PasswordRotationTest {
    @TempDir
    Path tmp;

    private LocalCluster cluster;

    @AfterEach
    void stopEverything(TestInfo test) {
        Probe.closeAndCheck(cluster, test);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aNewPasswordIsSetWhileEverythingRunsWithoutAFailover() throws Exception {
        cluster = LocalCluster.create(tmp.resolve("cluster"), new LocalCluster.Options(true, false));
        Probe probe = new Probe(cluster);
        cluster.startAll();
        long epoch = probe.awaitSteady();
        await("both PostgreSQL servers serve, frankfurt in sync").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                .until(() -> probe.serving(KYIV, "PRIMARY") && probe.serving(FRANKFURT, "STANDBY")
                        && probe.db().map(db -> db.path("inSync").toString().contains(FRANKFURT)).orElse(false));
        PgLogin before = cluster.pgUser();
        CommitRecorder.createTable(cluster.gatewayJdbcUrl(), before);

        Files.writeString(cluster.pgPasswordFile(), "rotated-in-place\n");
        PgLogin after = new PgLogin(before.user(), "rotated-in-place");
        await("the new password opens a connection through the gateway").atMost(Duration.ofSeconds(15)).pollInterval(POLL)
                .ignoreExceptions().until(() -> {
                    CommitRecorder.connect(cluster.gatewayJdbcUrl(), after).close();
                    return true;
                });
        assertThatThrownBy(() -> CommitRecorder.connect(cluster.gatewayJdbcUrl(), before).close()).isInstanceOf(SQLException.class)
                .hasMessageContaining("password authentication failed");
        assertThat(cluster.epoch("db")).as("no failover").isEqualTo(epoch);
        assertThat(cluster.primary("db")).isEqualTo(KYIV);

        // frankfurt's next replication connection authenticates with the new password; a sync commit needs it
        try (var c = CommitRecorder.connect(cluster.jdbcUrl(KYIV), after); var s = c.createStatement()) {
            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_replication");
        }
        await("frankfurt streams again and confirms a commit").atMost(Duration.ofSeconds(30)).pollInterval(POLL).ignoreExceptions()
                .until(() -> {
                    try (var c = CommitRecorder.connect(cluster.gatewayJdbcUrl(), after); var s = c.createStatement()) {
                        s.execute("INSERT INTO " + CommitRecorder.TABLE + " (id) VALUES (424242) ON CONFLICT DO NOTHING");
                    }
                    return CommitRecorder.idsOn(cluster.jdbcUrl(FRANKFURT), after, 424242, 424242).contains(424242L);
                });
        // the agent's log line follows the change it reports (clients may already log in with it): wait for it, then read it all
        await("kyiv's agent reports the password it set").atMost(Duration.ofSeconds(10)).pollInterval(POLL)
                .until(() -> Files.readString(cluster.logDir().resolve("kyiv.log")).contains("event=pg_password_set site=kyiv user=tandem"));
        assertThat(Files.readString(cluster.logDir().resolve("kyiv.log")))
                .contains("event=pg_password_set site=kyiv user=tandem").contains("online=true")
                .doesNotContain("rotated-in-place").doesNotContain("pg-password-rotation-failed");
        assertThat(cluster.epoch("db")).as("no failover").isEqualTo(epoch);
    }
}
