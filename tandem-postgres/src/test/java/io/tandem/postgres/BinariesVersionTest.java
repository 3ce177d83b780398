package io.tandem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binaries search (PG_BIN, the system's, the embedded) and the three checks that keep one major version per data
 * directory and per cluster.
 */
class BinariesVersionTest {
    @Test
    void theSearchTakesTheSystemsPostgresqlBeforeTheEmbedded() {
        assumeTrue(System.getenv("PG_BIN") == null, "PG_BIN is set and takes precedence");
        Optional<PgBinaries> system = PgBinaries.system();
        PgBinaries found = PgBinaries.locate(BinariesSpec.auto());
        if (system.isPresent()) {
            assertThat(found.source()).isEqualTo(PgBinaries.Source.SYSTEM);
            assertThat(found.binDir()).isEqualTo(system.get().binDir());
        } else {
            assertThat(found.source()).isEqualTo(PgBinaries.Source.EMBEDDED);
        }
    }

    @Test
    void pgBinTakesPrecedenceOverTheSystemsAndTheEmbeddedAndAWrongOneIsRefused(@TempDir Path empty) {
        PgBinaries embedded = PgBinaries.locate(BinariesSpec.of("embedded"));
        PgBinaries viaEnv = PgBinaries.locate(BinariesSpec.auto(), null, embedded.binDir().toString());
        assertThat(viaEnv.source()).isEqualTo(PgBinaries.Source.ENV_PG_BIN);
        assertThat(viaEnv.binDir()).isEqualTo(embedded.binDir());
        assertThat(viaEnv.major()).isEqualTo(embedded.major());
        // postgres.bin in tandem.yaml wins over PG_BIN
        assertThat(PgBinaries.locate(new BinariesSpec.Dir(embedded.binDir()), null, empty.toString()).source())
                .isEqualTo(PgBinaries.Source.EXPLICIT);
        assertThatThrownBy(() -> PgBinaries.locate(BinariesSpec.auto(), null, empty.toString()))
                .isInstanceOf(PgException.class).hasMessageContaining(empty.toString());
        // blank is unset
        assertThat(PgBinaries.locate(BinariesSpec.auto(), null, " ").source()).isNotEqualTo(PgBinaries.Source.ENV_PG_BIN);
    }

    @Test
    void postgresBinNamesAFolderOrOneOfTheTwoSources() {
        assertThat(BinariesSpec.of("")).isInstanceOf(BinariesSpec.Auto.class);
        assertThat(BinariesSpec.of("embedded")).isInstanceOf(BinariesSpec.Embedded.class);
        assertThat(BinariesSpec.of("system")).isInstanceOf(BinariesSpec.System.class);
        assertThat(BinariesSpec.of("/opt/pg/bin")).isEqualTo(new BinariesSpec.Dir(Path.of("/opt/pg/bin")));
    }

    @Test
    void aDataDirectoryKeepsTheMajorVersionThatMadeIt(@TempDir Path data) throws Exception {
        assumeTrue(System.getenv("PG_BIN") == null, "PG_BIN is set and takes precedence");
        Files.writeString(data.resolve("PG_VERSION"), "18\n");
        PgBinaries b = PgBinaries.locate(BinariesSpec.auto(), data);
        assertThat(b.major()).isEqualTo(18);
        assertThat(b.source()).as("no system PostgreSQL 18 here, so the embedded one").satisfiesAnyOf(
                s -> assertThat(s).isEqualTo(PgBinaries.Source.EMBEDDED),
                s -> assertThat(PgBinaries.system().map(PgBinaries::major)).contains(18));

        Files.writeString(data.resolve("PG_VERSION"), "9\n");
        assertThatThrownBy(() -> PgBinaries.locate(BinariesSpec.auto(), data))
                .isInstanceOf(PgException.class)
                .hasMessageContaining("made by PostgreSQL 9")
                .hasMessageContaining("PostgreSQL 18")
                .hasMessageContaining("install PostgreSQL 9")
                .hasMessageContaining("never upgraded silently");
    }

    @Test
    void aServerRefusesToStartADataDirectoryOfAnotherMajorVersion() throws Exception {
        try (PgTestSites sites = new PgTestSites()) {
            PgServer s = sites.site("kyiv", PgTestSites.KYIV, PgTestSites.embedded());
            Path data = s.options().dataDir();
            Files.createDirectories(data);
            Files.writeString(data.resolve("PG_VERSION"), "15\n");
            assertThatThrownBy(s::start)
                    .isInstanceOf(PgException.class)
                    .hasMessageContaining("made by PostgreSQL 15")
                    .hasMessageContaining("PostgreSQL 18")
                    .hasMessageContaining("postgres.bin");
            assertThat(s.isRunning()).isFalse();
            assertThat(Files.readString(data.resolve("PG_VERSION"))).isEqualTo("15\n");
        }
    }

    @Test
    void aStandbyRefusesToCloneAPrimaryOfAnotherMajorVersionBeforeTouchingAnything() throws Exception {
        PgBinaries system = PgBinaries.system().orElse(null);
        assumeTrue(system != null && system.major() != 18, "needs an installed PostgreSQL other than 18 under /usr/lib/postgresql");
        try (PgTestSites sites = new PgTestSites()) {
            PgServer kyiv = sites.site("kyiv", PgTestSites.KYIV, PgTestSites.embedded());
            PgServer frankfurt = sites.site("frankfurt", PgTestSites.FRANKFURT, new BinariesSpec.Dir(system.binDir()));
            PgTestSites.primaryWithOneRow(kyiv);
            Path target = frankfurt.options().dataDir();
            Files.createDirectories(target);
            Files.writeString(target.resolve("kept.txt"), "the operator's file");

            assertThatThrownBy(() -> Cloner.clone(frankfurt, kyiv.options().asUpstream(), kyiv.options().dataDir()))
                    .isInstanceOf(PgException.class)
                    .hasMessageContaining("runs PostgreSQL 18")
                    .hasMessageContaining("PostgreSQL " + system.version())
                    .hasMessageContaining("one major version")
                    .hasMessageContaining("nothing was changed");
            assertThatThrownBy(() -> Cloner.withBackupApi(frankfurt, kyiv.options().asUpstream(), kyiv.options().dataDir()))
                    .isInstanceOf(PgException.class)
                    .hasMessageContaining("runs PostgreSQL 18");
            assertThat(Files.readString(target.resolve("kept.txt"))).isEqualTo("the operator's file");
            try (var files = Files.list(target)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("kept.txt");
            }
            assertThat(Slots.walStatus(kyiv.options().asUpstream(), frankfurt.options().slotName()))
                    .as("no slot taken on the primary").isEmpty();
        }
    }
}
