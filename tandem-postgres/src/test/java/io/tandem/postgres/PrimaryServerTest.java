package io.tandem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PrimaryServerTest {
    private PgTestSites sites;
    private PgServer kyiv;

    @BeforeEach
    void setUp() throws Exception {
        sites = new PgTestSites();
        kyiv = sites.site("kyiv", PgTestSites.KYIV, PgTestSites.embedded());
    }

    @AfterEach
    void tearDown() throws Exception {
        sites.close();
    }

    @Test
    void initdbStartWriteReadAndStopRunAsAnUnprivilegedUser() throws Exception {
        Duration initdb = kyiv.initPrimary();
        PgTestSites.timing("initdb", initdb.toMillis());
        kyiv.start();
        assertThat(kyiv.isRunning()).isTrue();
        if (PgUser.isRoot()) {
            assertThat(kyiv.user().name()).isEqualTo("tandem-pg");
            assertThat(Files.getOwner(kyiv.options().dataDir()).getName()).isEqualTo("tandem-pg");
        }
        PgTestSites.exec(kyiv, "CREATE TABLE t (id bigint PRIMARY KEY)");
        PgTestSites.exec(kyiv, "INSERT INTO t VALUES (1), (2)");
        assertThat(PgTestSites.ids(kyiv, "t")).containsExactly(1L, 2L);

        PgStatus status = kyiv.probe();
        assertThat(status).isInstanceOf(PgStatus.Primary.class);
        PgStatus.Primary p = (PgStatus.Primary) status;
        assertThat(p.currentLsn()).isGreaterThan(Lsn.ZERO);
        assertThat(p.timeline()).isEqualTo(1);
        assertThat(p.standbys()).isEmpty();

        kyiv.stop(StopMode.FAST);
        assertThat(kyiv.isRunning()).isFalse();
        assertThat(kyiv.probe()).isInstanceOf(PgStatus.Down.class);
        kyiv.start(); // restart keeps the data
        assertThat(PgTestSites.ids(kyiv, "t")).containsExactly(1L, 2L);
    }

    @Test
    void initdbRefusesADataDirectoryThatHoldsData() throws Exception {
        Files.createDirectories(kyiv.options().dataDir());
        Files.writeString(kyiv.options().dataDir().resolve("precious"), "x");
        assertThatThrownBy(kyiv::initPrimary).isInstanceOf(PgException.class).hasMessageContaining("not empty");
        assertThat(kyiv.options().dataDir().resolve("precious")).exists();
    }

    @Test
    void startFailureQuotesTheServerLog() throws Exception {
        PgServer broken = new PgServer(kyiv.options().withSettings(Map.of("shared_buffers", "bogus")), kyiv.binaries());
        broken.initPrimary();
        assertThatThrownBy(broken::start).isInstanceOf(PgException.class)
                .hasMessageContaining("did not start")
                .hasMessageContaining("shared_buffers");
    }

    @Test
    void fenceByImmediateStopMakesWritesFailAtOnceAndKeepsThemRefusedUntilPromoted() throws Exception {
        fenceWithAnOpenSession(FenceMode.STOP_IMMEDIATE);
        assertThatThrownBy(() -> PgTestSites.exec(kyiv, "INSERT INTO t VALUES (3)")).isInstanceOf(SQLException.class);
        assertThat(kyiv.isRunning()).isFalse();
        kyiv.start(); // crash recovery keeps every committed row, but the fenced server stays read-only
        await().atMost(Duration.ofSeconds(10)).until(() -> PgTestSites.idsOrEmpty(kyiv, "t").equals(List.of(1L)));
        assertThat(kyiv.probe()).isInstanceOf(PgStatus.Standby.class);
        assertThatThrownBy(() -> PgTestSites.exec(kyiv, "INSERT INTO t VALUES (4)")).hasMessageContaining("read-only");
        kyiv.promote(); // only when told
        PgTestSites.exec(kyiv, "INSERT INTO t VALUES (4)");
    }

    @Test
    void fenceReadOnlyRefusesWritesAndDropsSessionsButServesReads() throws Exception {
        fenceWithAnOpenSession(FenceMode.READ_ONLY);
        assertThatThrownBy(() -> PgTestSites.exec(kyiv, "INSERT INTO t VALUES (3)"))
                .hasMessageContaining("read-only");
        assertThat(PgTestSites.ids(kyiv, "t")).isEqualTo(List.of(1L));
    }

    /** Fences while a session is open: the fence is quick and that session's next write fails. */
    private void fenceWithAnOpenSession(FenceMode mode) throws SQLException {
        PgTestSites.primaryWithOneRow(kyiv);
        try (Connection c = kyiv.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            Duration fence = kyiv.fence(mode);
            PgTestSites.timing("fence_" + mode.name().toLowerCase(java.util.Locale.ROOT), fence.toMillis());
            assertThat(fence).isLessThan(Duration.ofSeconds(3));
            assertThatThrownBy(() -> s.execute("INSERT INTO t VALUES (2)")).isInstanceOf(SQLException.class);
        }
    }
}
