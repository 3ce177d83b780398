package io.tandem.model.config;

import static io.tandem.model.config.ConfigFixtures.FILE;
import static io.tandem.model.config.ConfigFixtures.check;
import static io.tandem.model.config.ConfigFixtures.read;
import static io.tandem.model.config.ConfigFixtures.repoFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Mistakes in the YAML itself, before any key is read: reported where they are, with what is wrong. */
class YamlSyntaxTest {

    @Test
    void keyWithoutColonIsReportedAtItsLineAndColumn() {
        Path file = repoFile("examples/bad/malformed.yaml");
        String text = read(file);

        ConfigLoader.Result r = ConfigLoader.check(file);

        assertThat(r.ok()).isFalse();
        assertThat(r.config()).isNull();
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.location()).isEqualTo(new Location(file.toString(), ConfigFixtures.lineOf(text, "raft_port 7201"),
                    ConfigFixtures.columnOf(text, "raft_port 7201")));
            assertThat(p.message()).startsWith("malformed YAML").contains("could not find expected ':'");
            assertThat(p.hint()).contains("space after the colon");
        });
    }

    @Test
    void tabIndentationIsReportedAtTheLineOfTheTab() {
        ConfigLoader.Result r = check("cluster: demo\nsites:\n\t- name: kyiv\n");

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.location()).isEqualTo(new Location(FILE, 3, 1));
            assertThat(p.message()).contains("TAB");
        });
    }

    @Test
    void unclosedQuoteIsReportedWhereTheQuoteOpens() {
        ConfigLoader.Result r = check("cluster: demo\ndata_dir: \"data\nsites: []\n");

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.location()).isEqualTo(new Location(FILE, 2, 11));
            assertThat(p.message()).contains("quoted scalar");
        });
    }

    @Test
    void keyIndentedUnderAValueIsReportedAtThatKey() {
        ConfigLoader.Result r = check("cluster: demo\n  data_dir: data\n");

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.location().line()).isEqualTo(2);
            assertThat(p.message()).contains("mapping values are not allowed here");
        });
    }

    @Test
    void duplicateKeyIsReportedAtTheSecondOccurrenceNamingTheFirst() {
        String yaml = ConfigFixtures.validWith("    api_port: 7111\n", "    api_port: 7111\n    raft_port: 7102\n");

        ConfigLoader.Result r = check(yaml);

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.location()).isEqualTo(new Location(FILE, 7, 5));
            assertThat(p.message()).isEqualTo("duplicate key 'raft_port' (first written at line 5)");
        });
    }

    @Test
    void emptyFileIsRefused() {
        assertThat(check("# nothing but a comment\n").problems()).singleElement()
                .satisfies(p -> assertThat(p.message()).contains("empty"));
    }

    @Test
    void topLevelListIsRefusedAsNotAMapping() {
        assertThat(check("- cluster: demo\n").problems()).singleElement()
                .satisfies(p -> assertThat(p.message()).contains("the top level should be a mapping"));
    }

    @Test
    void missingFileIsReportedWithItsPathAndLoadThrows() {
        Path missing = Path.of("no/such/tandem.yaml");

        assertThat(ConfigLoader.check(missing).problems()).singleElement().satisfies(p -> {
            assertThat(p.location().file()).isEqualTo(missing.toString());
            assertThat(p.message()).contains("cannot read the config file");
        });
        assertThatThrownBy(() -> ConfigLoader.load(missing)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("no/such/tandem.yaml:1:1");
    }
}
