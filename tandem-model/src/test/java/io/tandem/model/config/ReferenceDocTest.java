package io.tandem.model.config;

import static io.tandem.model.config.ConfigFixtures.repoFile;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is generated from ConfigKeys; this keeps the checked-in copy honest. */
class ReferenceDocTest {
    private static final Path DOC = repoFile("docs/configuration.md");

    /** With -Dtandem.docs.write=true this test rewrites the file instead of failing (see ReferenceDoc.REGENERATE). */
    @Test
    void referenceDocIsUpToDate() throws IOException {
        String generated = ReferenceDoc.markdown();
        if (Boolean.getBoolean("tandem.docs.write")) {
            Files.createDirectories(DOC.getParent());
            Files.writeString(DOC, generated, StandardCharsets.UTF_8);
        }
        String onDisk = Files.exists(DOC) ? Files.readString(DOC, StandardCharsets.UTF_8).replace("\r\n", "\n") : "";

        assertThat(onDisk.equals(generated))
                .as("docs/configuration.md differs from what ConfigKeys generates (%s); regenerate it from the repository root with:%n  %s%n",
                        firstDifference(onDisk, generated), ReferenceDoc.REGENERATE)
                .isTrue();
    }

    private static String firstDifference(String onDisk, String generated) {
        List<String> have = onDisk.lines().toList();
        List<String> want = generated.lines().toList();
        for (int i = 0; i < Math.max(have.size(), want.size()); i++) {
            String h = i < have.size() ? have.get(i) : "(end of file)";
            String w = i < want.size() ? want.get(i) : "(end of file)";
            if (!h.equals(w)) {
                return "first at line " + (i + 1) + ": the file has '" + h + "', generated is '" + w + "'";
            }
        }
        return "only in line endings";
    }

    @Test
    void referenceHasARowForEveryDeclaredKeyWithItsTypeAndDefault() {
        String md = ReferenceDoc.markdown();

        assertThat(ConfigKeys.ALL).allSatisfy(k -> assertThat(md).contains("| `" + k.name() + "` | "));
        assertThat(md).contains("| `fail_after` | duration (250ms, 1.5s, 2m) | `1.5s` | ")
                .contains("| `address` | host or IP address | (required) | ")
                .contains("| `mode` | sync\\|async | `sync` | ")
                .contains("| `max_lag_on_failover` | size (16MB, 512kB) | `16MB` | ")
                .contains("| `sites` | list of names (\\[kyiv, frankfurt\\]) | (all sites) | ")
                .contains("| `cluster` | name (\\[a-z\\]\\[a-z0-9-\\]\\*) | `tandem` | ");
    }

    @Test
    void everyTableRowHasExactlyFourCells() {
        assertThat(ReferenceDoc.markdown().lines().filter(l -> l.startsWith("|")))
                .isNotEmpty()
                .allSatisfy(row -> assertThat(row.replace("\\|", "").chars().filter(c -> c == '|').count())
                        .as(row).isEqualTo(5));
    }

    @Test
    void referenceStatesTheRulesAcrossKeysAndTheWitnessWarning() {
        String md = ReferenceDoc.markdown();

        assertThat(md).contains("`timing.fence_after` < `timing.fail_after`")
                .contains("`timing.heartbeat` ≤ `timing.fence_after` / 2")
                .contains("`timing.election_timeout_min` < `timing.election_timeout_max`")
                .contains("≥ 150ms")
                .contains("Names are unique")
                .contains("Ports are unique per address")
                .contains("At least one site has `primary_eligible: true`")
                .contains("only **manual** failover is possible");
    }

    @Test
    void headerSaysHowToRegenerate() {
        assertThat(ReferenceDoc.markdown().lines().limit(3)).anySatisfy(l -> assertThat(l).contains(ReferenceDoc.REGENERATE));
    }
}
