package io.tandem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgBinariesTest {
    @Test
    void embeddedBinariesAreExtractedAndReportMajorVersion18() {
        PgBinaries b = PgBinaries.locate(PgTestSites.embedded());
        assertThat(b.source()).isEqualTo(PgBinaries.Source.EMBEDDED);
        assertThat(b.major()).isEqualTo(18);
        assertThat(b.version()).startsWith("18.");
        assertThat(b.initdb()).isExecutable();
        assertThat(b.pgCtl()).isExecutable();
        assertThat(b.describe()).contains("18.", "embedded");
    }

    @Test
    void concurrentExtractionsEndWithOneCompleteCopyAndNoLeftovers(@TempDir Path cache) throws Exception {
        Callable<Optional<Path>> extract = () -> EmbeddedBinaries.extract(cache);
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<Optional<Path>>> results = pool.invokeAll(List.of(extract, extract));
            Path first = results.get(0).get().orElseThrow();
            assertThat(results.get(1).get()).contains(first);
            assertThat(first.resolve("bin/postgres")).isExecutable();
            assertThat(first.resolve("lib/libpq.so.5")).exists();
        }
        try (var entries = Files.list(cache)) {
            assertThat(entries.map(p -> p.getFileName().toString())).hasSize(1).noneMatch(n -> n.startsWith(".extract"));
        }
        // a second call finds the copy without extracting again
        assertThat(EmbeddedBinaries.extract(cache)).isPresent();
    }

    @Test
    void directoryWithoutServerBinariesIsRefusedWithAHint(@TempDir Path empty) {
        assertThatThrownBy(() -> PgBinaries.locate(new BinariesSpec.Dir(empty)))
                .isInstanceOf(PgException.class)
                .hasMessageContaining(empty.toString())
                .hasMessageContaining("PG_BIN");
    }

    @Test
    void systemBinariesAreFoundWithTheirOwnToolsWhenInstalled() {
        Optional<PgBinaries> system = PgBinaries.system();
        assumeTrue(system.isPresent(), "no PostgreSQL under /usr/lib/postgresql");
        PgBinaries b = system.get();
        assertThat(b.source()).isEqualTo(PgBinaries.Source.SYSTEM);
        assertThat(b.binDir().toString()).contains("/" + b.major() + "/");
        b.tool("pg_rewind").ifPresent(t -> assertThat(t.toString()).contains("/" + b.major() + "/"));
    }

    @Test
    void embeddedBinariesUseNoToolOfAnotherMajorVersion() {
        PgBinaries b = PgBinaries.locate(PgTestSites.embedded());
        b.tool("pg_basebackup").ifPresent(t -> assertThat(t.toString()).contains("/18/"));
    }
}
