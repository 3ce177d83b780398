package io.tandem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code synchronous_commit: remote_apply} (a resource's {@code synchronous_commit}): a commit returns only once the
 * sync standby has applied it, so a read on the standby right after the commit sees it. With {@code on} the commit
 * waits only for the standby's flush.
 */
class RemoteApplyTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aCommitWaitsUntilTheSyncStandbyHasAppliedItAndIsThenVisibleThere() throws Exception {
        try (PgTestSites sites = new PgTestSites()) {
            PgServer kyiv = sites.siteWith("kyiv", PgTestSites.KYIV, PgTestSites.embedded(), o -> o.withSyncCommit(SyncCommit.REMOTE_APPLY));
            PgServer frankfurt = sites.siteWith("frankfurt", PgTestSites.FRANKFURT, PgTestSites.embedded(),
                    o -> o.withSyncCommit(SyncCommit.REMOTE_APPLY));
            PgTestSites.primaryWithOneRow(kyiv);
            Cloner.withBackupApi(frankfurt, kyiv.options().asUpstream(), kyiv.options().dataDir());
            kyiv.setSyncStandbys(SyncStandbys.any(1, List.of("frankfurt")));
            await().atMost(WAIT).until(() -> kyiv.probe() instanceof PgStatus.Primary p
                    && p.standby("frankfurt").map(s -> s.syncState().waitedFor()).orElse(false));
            try (Connection c = kyiv.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("remote_apply");
            }
            // every commit is visible on the standby the moment it returns
            for (long id = 2; id <= 20; id++) {
                PgTestSites.exec(kyiv, "INSERT INTO t VALUES (" + id + ")");
                assertThat(PgTestSites.ids(frankfurt, "t")).as("row %d on the standby right after its commit", id).contains(id);
            }
            // replay paused: the WAL is flushed there, but a commit waits until it is applied
            PgTestSites.exec(frankfurt, "SELECT pg_wal_replay_pause()");
            try (Connection c = kyiv.connect()) {
                CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
                    try (Statement s = c.createStatement()) {
                        s.execute("INSERT INTO t VALUES (100)");
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                Thread.sleep(1000); // the commit must still be waiting a full second later (with "on" it returns at once)
                assertThat(commit).isNotDone();
                PgTestSites.exec(frankfurt, "SELECT pg_wal_replay_resume()");
                commit.get(10, TimeUnit.SECONDS);
            }
            assertThat(PgTestSites.ids(frankfurt, "t")).contains(100L);
        }
    }
}
