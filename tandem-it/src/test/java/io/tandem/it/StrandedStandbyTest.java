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
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * postgres.max_slot_wal_keep_size bounds the WAL a primary keeps for a standby that is away: past it PostgreSQL gives
 * the standby's slot up (no full disk on the primary), and the returning standby, which can no longer stream, is
 * re-cloned by its agent and is back in sync with every row.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StrandedStandbyTest {
    @TempDir
    Path tmp;

    private LocalCluster cluster;
    private Probe probe;

    @AfterEach
    void stopEverything(TestInfo test) {
        Probe.closeAndCheck(cluster, test);
    }

    @Test
    void aStandbyAwayPastTheSlotBoundIsReclonedWhenItReturns() throws Exception {
        cluster = LocalCluster.create(tmp.resolve("cluster"), new LocalCluster.Options(true, false));
        String yaml = Files.readString(cluster.configFile());
        assertThat(yaml).containsPattern("(?m)^  bin: embedded");
        Files.writeString(cluster.configFile(), yaml.replaceFirst("(?m)^(  bin: embedded.*)$", "$1\n  max_slot_wal_keep_size: 32MB"));
        probe = new Probe(cluster);
        cluster.startAll();
        probe.awaitSteady();
        await("both serve").atMost(Duration.ofSeconds(60)).pollInterval(POLL).until(() -> probe.serving(KYIV, "PRIMARY") && probe.serving(FRANKFURT, "STANDBY"));

        cluster.killSite(FRANKFURT);
        await("frankfurt out of the in-sync set").atMost(Duration.ofSeconds(20)).pollInterval(POLL)
                .until(() -> probe.db().map(db -> !db.path("inSync").toString().contains(FRANKFURT)).orElse(false));
        // ~96 MB of WAL while frankfurt is away, three times the bound, then a checkpoint, where PostgreSQL gives slots up
        execute(KYIV, "CREATE TABLE filler (id int PRIMARY KEY, pad text)");
        for (int i = 0; i < 6; i++) {
            execute(KYIV, "INSERT INTO filler SELECT g, repeat(md5(g::text), 50) FROM generate_series(" + (i * 5000 + 1) + ", " + (i + 1) * 5000 + ") g");
            execute(KYIV, "CHECKPOINT");
        }
        await("frankfurt's slot on kyiv given up").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            execute(KYIV, "CHECKPOINT");
            return slotStatus(KYIV, FRANKFURT).equals("lost");
        });

        cluster.start(FRANKFURT);
        await("frankfurt re-cloned and back in the in-sync set").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> probe.serving(FRANKFURT, "STANDBY") && probe.db().map(db -> db.path("inSync").toString().contains(FRANKFURT)).orElse(false));
        assertThat(Files.readString(cluster.logDir().resolve("frankfurt.log"))).contains("event=pg-standby-stranded", "event=pg-recloned site=frankfurt");
        assertThat(probe.keptAside("stale")).as("the old copy kept aside").hasSize(1);
        await("frankfurt has every row").atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> count(FRANKFURT) == 30_000);
    }

    private void execute(String site, String sql) throws SQLException {
        probe.execute(site, sql);
    }

    private String slotStatus(String site, String slot) throws SQLException {
        try (Connection c = CommitRecorder.connect(cluster.jdbcUrl(site), cluster.pgUser()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(wal_status, '') FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
            return rs.next() ? rs.getString(1) : "";
        }
    }

    private long count(String site) throws SQLException {
        return probe.queryLong(site, "SELECT count(*) FROM filler");
    }
}
