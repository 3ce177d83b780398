package io.tandem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Replication on the embedded binaries: no pg_basebackup, no pg_rewind, so the backup API and re-clone paths. */
class BackupApiReplicationTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private PgTestSites sites;
    private PgServer kyiv;
    private PgServer frankfurt;

    @BeforeEach
    void primaryAndClonedStandby() throws Exception {
        sites = new PgTestSites();
        kyiv = sites.site("kyiv", PgTestSites.KYIV, PgTestSites.embedded());
        frankfurt = sites.site("frankfurt", PgTestSites.FRANKFURT, PgTestSites.embedded());
        PgTestSites.primaryWithOneRow(kyiv);
        Cloner.Result clone = Cloner.withBackupApi(frankfurt, kyiv.options().asUpstream(), kyiv.options().dataDir());
        PgTestSites.timing("clone_backup_api", clone.took().toMillis());
        assertThat(clone.method()).isEqualTo(Cloner.Method.BACKUP_API);
    }

    @AfterEach
    void tearDown() throws Exception {
        sites.close();
    }

    @Test
    void standbyClonedThroughBackupApiStreamsRowsAndProbesReportLsnsAndLag() throws Exception {
        assertThat(frankfurt.isStandbyOnDisk()).isTrue();
        assertThat(PgTestSites.ids(frankfurt, "t")).containsExactly(1L);
        PgTestSites.exec(kyiv, "INSERT INTO t VALUES (2)");
        await().atMost(WAIT).until(() -> PgTestSites.idsOrEmpty(frankfurt, "t").equals(List.of(1L, 2L)));

        await().atMost(WAIT).untilAsserted(() -> {
            PgStatus.Primary p = (PgStatus.Primary) kyiv.probe();
            PgStatus.ReplicaState f = p.standby("frankfurt").orElseThrow();
            assertThat(f.state()).isEqualTo("streaming");
            assertThat(f.clientAddr()).startsWith("127."); // libpq cannot pick a source address: 127.0.0.1 here
            assertThat(f.replayLsn()).isEqualTo(p.currentLsn());
            assertThat(f.syncState()).isEqualTo(PgStatus.SyncState.ASYNC);
            assertThat(p.caughtUp("frankfurt")).isTrue();
            assertThat(p.caughtUp("warsaw")).isFalse();
            PgStatus.Standby s = (PgStatus.Standby) frankfurt.probe();
            assertThat(s.streaming()).isTrue();
            assertThat(s.upstreamHost()).isEqualTo(PgTestSites.KYIV);
            assertThat(s.replayLsn()).isEqualTo(p.currentLsn());
            assertThat(s.lagBytes()).isZero();
            assertThat(s.lagTime()).isZero();
        });
        assertThat(Slots.exists(kyiv.options().asUpstream(), "frankfurt")).isTrue();

        // replay paused on the standby: WAL arrives but is not applied, so lag shows in bytes and seconds
        PgTestSites.exec(frankfurt, "SELECT pg_wal_replay_pause()");
        Thread.sleep(1100); // the last replayed commit must be old enough to show as seconds of lag
        PgTestSites.exec(kyiv, "INSERT INTO t VALUES (3)");
        await().atMost(WAIT).untilAsserted(() -> {
            PgStatus.Standby s = (PgStatus.Standby) frankfurt.probe();
            assertThat(s.lagBytes()).isPositive();
            assertThat(s.receiveLsn()).isGreaterThan(s.replayLsn());
            assertThat(s.lagTime()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
            PgStatus.Primary p = (PgStatus.Primary) kyiv.probe();
            PgStatus.ReplicaState f = p.standby("frankfurt").orElseThrow();
            assertThat(f.flushLsn()).isEqualTo(p.currentLsn());
            assertThat(f.replayLsn()).isLessThan(p.currentLsn());
            assertThat(p.caughtUp("frankfurt")).isTrue(); // durable there: what a sync commit waits for
        });
        PgTestSites.exec(frankfurt, "SELECT pg_wal_replay_resume()");
        await().atMost(WAIT).until(() -> frankfurt.probe() instanceof PgStatus.Standby s && s.lagBytes() == 0);
        assertThat(PgTestSites.ids(frankfurt, "t")).containsExactly(1L, 2L, 3L);
    }

    @Test
    void syncCommitWaitsWhileTheNamedStandbyIsDownAndReturnsOnceNamesAreRelaxed() throws Exception {
        kyiv.setSyncStandbys(SyncStandbys.any(1, List.of("frankfurt")));
        await().atMost(WAIT).until(() -> kyiv.probe() instanceof PgStatus.Primary p
                && p.standby("frankfurt").map(s -> s.syncState().waitedFor()).orElse(false));
        PgTestSites.exec(kyiv, "INSERT INTO t VALUES (2)"); // acknowledged with the standby up

        frankfurt.stop(StopMode.FAST);
        try (Connection c = kyiv.connect()) {
            CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO t VALUES (3)");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(1000); // the commit must still be waiting a full second later
            assertThat(commit).isNotDone();

            long t0 = System.nanoTime();
            kyiv.setSyncStandbys(SyncStandbys.none());
            commit.get(5, TimeUnit.SECONDS);
            PgTestSites.timing("sync_relax_to_commit", (System.nanoTime() - t0) / 1_000_000);
        }
        assertThat(PgTestSites.ids(kyiv, "t")).containsExactly(1L, 2L, 3L);
    }

    /**
     * A new primary's in-sync set must have every write from its first one on: the standbys it was told to wait for
     * before its promotion are still waited for after it (the promotion once reset the setting to none, while the
     * agent went on reporting it waited for them), and a commit right after the promotion already waits.
     */
    @Test
    void aStandbyToldToWaitForASiteKeepsWaitingForItOncePromoted() throws Exception {
        await().atMost(WAIT).until(() -> PgTestSites.idsOrEmpty(frankfurt, "t").equals(List.of(1L)));
        frankfurt.setSyncStandbys(SyncStandbys.all(List.of("paris"))); // a site that is not there: a commit can only wait
        frankfurt.promote();
        try (Connection c = frankfurt.connect()) {
            CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO t VALUES (7)");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(1000);
            assertThat(commit).as("the first commit as primary waits for paris").isNotDone();
            frankfurt.setSyncStandbys(SyncStandbys.none());
            commit.get(5, TimeUnit.SECONDS);
        }
        assertThat(PgTestSites.ids(frankfurt, "t")).containsExactly(1L, 7L);
    }

    @Test
    void promotedStandbyAcceptsWritesAndTheDivergedOldPrimaryRejoinsByRecloning() throws Exception {
        await().atMost(WAIT).until(() -> PgTestSites.idsOrEmpty(frankfurt, "t").equals(List.of(1L)));
        Duration promote = frankfurt.promote();
        PgTestSites.timing("promote", promote.toMillis());
        PgTestSites.exec(frankfurt, "INSERT INTO t VALUES (10)");
        PgStatus.Primary promoted = (PgStatus.Primary) frankfurt.probe();
        assertThat(promoted.timeline()).isEqualTo(2);
        // split brain for the test: the old primary still took a write the new one never saw
        PgTestSites.exec(kyiv, "INSERT INTO t VALUES (99)");

        Rejoiner.Result rejoin = Rejoiner.rejoin(kyiv, frankfurt.options().asUpstream(), frankfurt.options().dataDir());
        PgTestSites.timing("rejoin_reclone", rejoin.took().toMillis());
        assertThat(rejoin.method()).isEqualTo(Rejoiner.Method.RECLONE);
        assertThat(rejoin.keptAside()).singleElement().satisfies(aside -> {
            assertThat(aside.getFileName().toString()).startsWith("kyiv.diverged-");
            assertThat(aside.resolve("PG_VERSION")).exists();
        });

        PgTestSites.exec(frankfurt, "INSERT INTO t VALUES (11)");
        await().atMost(WAIT).until(() -> PgTestSites.idsOrEmpty(kyiv, "t").equals(List.of(1L, 10L, 11L)));
        await().atMost(WAIT).until(() -> frankfurt.probe() instanceof PgStatus.Primary p
                && p.standby("kyiv").map(s -> s.state().equals("streaming")).orElse(false));
    }

    @Test
    void demotedPrimaryFollowsThePromotedStandbyAfterACleanSwitchover() throws Exception {
        PgTestSites.exec(kyiv, "INSERT INTO t VALUES (2)");
        kyiv.stop(StopMode.FAST); // writes stop; the shutdown checkpoint is the final LSN
        await().atMost(WAIT).until(() -> frankfurt.probe() instanceof PgStatus.Standby s && s.lagBytes() == 0
                && s.receiveLsn().compareTo(s.replayLsn()) == 0 && !s.replayLsn().equals(Lsn.ZERO));
        frankfurt.promote();
        long t0 = System.nanoTime();
        kyiv.follow(frankfurt.options().asUpstream());
        PgTestSites.timing("demote_follow", (System.nanoTime() - t0) / 1_000_000);

        PgTestSites.exec(frankfurt, "INSERT INTO t VALUES (3)");
        await().atMost(WAIT).until(() -> PgTestSites.idsOrEmpty(kyiv, "t").equals(List.of(1L, 2L, 3L)));
        assertThat(kyiv.probe()).isInstanceOfSatisfying(PgStatus.Standby.class,
                s -> assertThat(s.upstreamHost()).isEqualTo(PgTestSites.FRANKFURT));
    }

    /**
     * A standby whose primary is unreachable tries again every second (wal_retrieve_retry_interval), not every 5 s:
     * told to follow a new primary that refused its first connection, it must stream well within fail_after, or it
     * leaves the in-sync set that the new primary's first commits should wait for.
     */
    @Test
    void aStandbyRetriesItsUnreachablePrimaryEverySecondAndStreamsOnceItIsBack() throws Exception {
        await().atMost(WAIT).until(() -> frankfurt.probe() instanceof PgStatus.Standby s && s.streaming());
        kyiv.stop(StopMode.FAST);
        String refused = "could not connect to the primary server";
        // four attempts within 8 s: at the default 5 s interval there would be two
        await("four connection attempts from frankfurt while kyiv is down").atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(100))
                .until(() -> occurrences(frankfurt.logTail(400), refused) >= 4);
        kyiv.start();
        PgTestSites.exec(kyiv, "INSERT INTO t VALUES (2)");
        await().atMost(WAIT).until(() -> PgTestSites.idsOrEmpty(frankfurt, "t").equals(List.of(1L, 2L)));
    }

    private static int occurrences(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) n++;
        return n;
    }
}
