package io.tandem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValuesTest {
    @Test
    void lsnParsesPrintsAndSubtractsAsPostgresDoes() {
        Lsn a = Lsn.parse("0/3000148");
        Lsn b = Lsn.parse("1/0");
        assertThat(a.toString()).isEqualTo("0/3000148");
        assertThat(b.value()).isEqualTo(1L << 32);
        assertThat(b.bytesAfter(a)).isEqualTo((1L << 32) - 0x3000148L);
        assertThat(a.bytesAfter(b)).isZero();
        assertThat(a).isLessThan(b);
    }

    @Test
    void syncStandbyNamesQuoteSiteNamesAndNameNobodyWhenEmpty() {
        assertThat(SyncStandbys.any(1, List.of("frankfurt")).setting()).isEqualTo("ANY 1 (\"frankfurt\")");
        assertThat(new SyncStandbys(SyncStandbys.Method.FIRST, 2, List.of("a", "b-c")).setting())
                .isEqualTo("FIRST 2 (\"a\", \"b-c\")");
        assertThat(SyncStandbys.all(List.of("x", "y")).setting()).isEqualTo("ANY 2 (\"x\", \"y\")");
        assertThat(SyncStandbys.none().setting()).isEmpty();
        assertThatThrownBy(() -> SyncStandbys.any(2, List.of("a"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void optionsDeriveSlotLogAndConninfoFromTheSite() {
        PgOptions o = PgOptions.of("Frank-furt", Path.of("/var/lib/tandem/pg"), "127.0.2.1", 5432);
        assertThat(o.slotName()).isEqualTo("frank_furt");
        assertThat(o.logFile()).isEqualTo(Path.of("/var/lib/tandem/pg.log"));
        assertThat(o.asUpstream().conninfo("Frank-furt", null))
                .contains("host='127.0.2.1'", "port=5432", "user='tandem'", "application_name='Frank-furt'")
                .doesNotContain("passfile");
        assertThat(o.asUpstream().conninfo("Frank-furt", Path.of("/var/lib/tandem/it's.pgpass")))
                .contains("passfile='/var/lib/tandem/it\\'s.pgpass'");
        assertThat(o.pgpassFile()).isEqualTo(Path.of("/var/lib/tandem/pg.pgpass"));
        assertThat(o.effectiveSettings()).containsEntry("wal_level", "replica").containsEntry("wal_keep_size", "256MB");
        assertThatThrownBy(() -> PgOptions.of("bad name", Path.of("/x"), "127.0.0.1", 5432))
                .hasMessageContaining("site name");
    }

    @Test
    void dataDirStreamSkipsRuntimeFilesButKeepsWalDirectories() {
        assertThat(DataDirStream.skipped("postmaster.pid", Path.of("/nonexistent"))).isTrue();
        assertThat(DataDirStream.skipped("standby.signal", Path.of("/nonexistent"))).isTrue();
        assertThat(DataDirStream.skipped("pg_wal/000000010000000000000003", Path.of("/nonexistent"))).isTrue();
        assertThat(DataDirStream.skipped("base/5/pg_internal.init", Path.of("/nonexistent"))).isTrue();
        assertThat(DataDirStream.skipped("base/pgsql_tmp", Path.of("/nonexistent"))).isTrue();
        assertThat(DataDirStream.skipped("global/pg_control", Path.of("/nonexistent"))).isFalse();
        assertThat(DataDirStream.skipped("pg_wal", Path.of("/nonexistent"))).isFalse();
    }
}
