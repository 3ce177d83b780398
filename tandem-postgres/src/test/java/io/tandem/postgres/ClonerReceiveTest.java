package io.tandem.postgres;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The standby's side of a clone through the backup API when the primary's stream breaks off. */
class ClonerReceiveTest {

    @Test
    void aCloneCutOffMidStreamLeavesAnEmptyDataDirectoryAndTheNextCloneFillsIt() throws Exception {
        try (PgTestSites sites = new PgTestSites()) {
            PgServer target = sites.site("frankfurt", PgTestSites.FRANKFURT, PgTestSites.embedded());
            ByteArrayOutputStream full = new ByteArrayOutputStream();
            DataDirStream.Writer w = new DataDirStream.Writer(full);
            w.file("PG_VERSION", "18\n".getBytes(UTF_8));
            w.file("global/pg_control", new byte[8192]);
            w.finish();
            byte[] all = full.toByteArray();
            byte[] cut = Arrays.copyOf(all, all.length - 4000); // breaks off inside pg_control, as when the primary fences mid-copy
            Path dir = target.options().dataDir();

            assertThatThrownBy(() -> Cloner.receiveBackup(new ByteArrayInputStream(cut), target))
                    .isInstanceOf(PgException.class)
                    .hasMessageContaining("stream ended inside")
                    .hasMessageContaining("the partial copy was removed, so the next attempt clones again");
            try (var entries = Files.list(dir)) {
                assertThat(entries.toList()).as("what the broken clone wrote").isEmpty();
            }

            assertThat(Cloner.receiveBackup(new ByteArrayInputStream(all), target)).isEqualTo(3 + 8192);
            assertThat(Files.readString(dir.resolve("PG_VERSION"))).isEqualTo("18\n");
        }
    }
}
