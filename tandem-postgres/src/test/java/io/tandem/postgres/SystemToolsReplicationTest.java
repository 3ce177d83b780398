package io.tandem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pg_basebackup clone and the pg_rewind rejoin, on the system's PostgreSQL (which has both
 * tools of its own major version). Skipped, with the reason, where none is installed.
 */
class SystemToolsReplicationTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private PgTestSites sites;
    private PgServer kyiv;
    private PgServer frankfurt;

    @BeforeEach
    void primaryAndStandbyClonedWithPgBasebackup() throws Exception {
        PgBinaries system = PgBinaries.system().orElse(null);
        assumeTrue(system != null, "no PostgreSQL installed under /usr/lib/postgresql: pg_basebackup/pg_rewind paths skipped");
        assumeTrue(system.tool("pg_basebackup").isPresent() && system.tool("pg_rewind").isPresent(),
                "system PostgreSQL " + system.version() + " lacks pg_basebackup or pg_rewind");
        BinariesSpec spec = new BinariesSpec.Dir(system.binDir());
        sites = new PgTestSites();
        kyiv = sites.site("kyiv", PgTestSites.KYIV, spec);
        frankfurt = sites.site("frankfurt", PgTestSites.FRANKFURT, spec);
        PgTestSites.primaryWithOneRow(kyiv);
        Cloner.Result clone = Cloner.clone(frankfurt, kyiv.options().asUpstream(), kyiv.options().dataDir());
        PgTestSites.timing("clone_pg_basebackup", clone.took().toMillis());
        assertThat(clone.method()).isEqualTo(Cloner.Method.PG_BASEBACKUP);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (sites != null) {
            sites.close();
        }
    }

    @Test
    void standbyClonedWithPgBasebackupStreamsRowsFromThePrimary() throws Exception {
        PgTestSites.exec(kyiv, "INSERT INTO t VALUES (2)");
        await().atMost(WAIT).until(() -> PgTestSites.idsOrEmpty(frankfurt, "t").equals(List.of(1L, 2L)));
        assertThat(frankfurt.probe()).isInstanceOfSatisfying(PgStatus.Standby.class, s -> {
            assertThat(s.streaming()).isTrue();
            assertThat(s.replayLsn()).isGreaterThan(Lsn.ZERO);
        });
    }

    @Test
    void fencedDivergedOldPrimaryRejoinsWithPgRewindAndStreamsFromTheNewPrimary() throws Exception {
        await().atMost(WAIT).until(() -> PgTestSites.idsOrEmpty(frankfurt, "t").equals(List.of(1L)));
        frankfurt.promote();
        PgTestSites.exec(frankfurt, "INSERT INTO t VALUES (10)");
        PgTestSites.exec(kyiv, "INSERT INTO t VALUES (99)"); // diverged: only the old primary has 99
        kyiv.fence(FenceMode.STOP_IMMEDIATE); // as after a lost lease: pg_rewind must run crash recovery first

        Rejoiner.Result rejoin = Rejoiner.rejoin(kyiv, frankfurt.options().asUpstream(), frankfurt.options().dataDir());
        PgTestSites.timing("rejoin_pg_rewind", rejoin.took().toMillis());
        assertThat(rejoin.method()).isEqualTo(Rejoiner.Method.PG_REWIND);
        assertThat(rejoin.keptAside()).isEmpty();

        PgTestSites.exec(frankfurt, "INSERT INTO t VALUES (11)");
        await().atMost(WAIT).until(() -> PgTestSites.idsOrEmpty(kyiv, "t").equals(List.of(1L, 10L, 11L)));
        assertThat(kyiv.probe()).isInstanceOfSatisfying(PgStatus.Standby.class,
                s -> assertThat(s.timeline()).isEqualTo(2));
    }
}
