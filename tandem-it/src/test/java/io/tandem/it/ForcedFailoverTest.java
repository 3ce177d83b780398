package io.tandem.it;

import static io.tandem.cli.LocalCluster.FRANKFURT;
import static io.tandem.cli.LocalCluster.KYIV;
import static io.tandem.it.Probe.POLL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tandem.cli.LocalCluster;
import io.tandem.cli.Main;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site lost for good while the other was out of sync: the automatic failover waits rather than lose data,
 * and an operator can force it, but only by accepting the loss.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForcedFailoverTest {
    @TempDir
    Path tmp;

    private LocalCluster cluster;

    @AfterEach
    void stop(TestInfo test) {
        Probe.closeAndCheck(cluster, test);
    }

    @Test
    void outOfSyncSiteIsPromotedOnlyWhenTheOperatorAcceptsTheLoss() throws Exception {
        cluster = LocalCluster.create(tmp.resolve("cluster"));
        Probe probe = new Probe(cluster);
        cluster.startAll();
        long epoch = probe.awaitSteady();

        // frankfurt drops out of the in-sync set, then kyiv, the primary, is lost while frankfurt is away
        cluster.kill(FRANKFURT);
        await("frankfurt out of the in-sync set").atMost(Duration.ofSeconds(15)).pollInterval(POLL)
                .until(() -> probe.db().map(db -> !db.path("inSync").toString().contains(FRANKFURT)).orElse(false));
        cluster.kill(KYIV);
        cluster.start(FRANKFURT);
        await("kyiv declared failed, frankfurt back").atMost(Duration.ofSeconds(20)).pollInterval(POLL)
                .until(() -> cluster.leaderView().map(v -> v.toString().contains("\"name\":\"kyiv\",\"role\":\"failed\"")
                        && v.toString().contains("\"name\":\"frankfurt\",\"role\":\"standby\",\"health\":\"healthy\"")).orElse(false));
        // the automatic failover must wait: frankfurt may lack acknowledged commits
        Thread.sleep(3000); // a bounded look at a decision that must NOT happen; polling cannot prove an absence
        assertThat(cluster.primary("db")).isEqualTo(KYIV);

        String token = "--token-file=" + cluster.operatorTokenFile();
        Cli.Run refused = Cli.tandem("failover", "--config", cluster.configFile().toString(), "--to", FRANKFURT, token);
        assertThat(refused.exit()).as(refused.err()).isEqualTo(Main.FAILED);
        assertThat(refused.err()).contains("not in the in-sync set").containsPattern("may lose (up to \\d+ bytes|an unknown amount) of WAL")
                .contains("--accept-data-loss");
        assertThat(cluster.primary("db")).isEqualTo(KYIV);

        Cli.Run forced = Cli.tandem("failover", "--config", cluster.configFile().toString(), "--to", FRANKFURT, "--accept-data-loss", token);
        assertThat(forced.exit()).as(forced.err()).isEqualTo(Main.OK);
        assertThat(forced.out()).contains("frankfurt is primary at epoch " + (epoch + 1));
        assertThat(cluster.primary("db")).isEqualTo(FRANKFURT);
        var http = java.net.http.HttpClient.newHttpClient();
        String audit = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(cluster.peer(FRANKFURT).apiUrl() + "/v1/audit")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(audit).contains("\"who\" : \"operator\"").contains("forced to frankfurt accepting data loss");
    }
}
