package io.tandem.model.config;

import static io.tandem.model.config.ConfigFixtures.lineOf;
import static io.tandem.model.config.ConfigFixtures.read;
import static io.tandem.model.config.ConfigFixtures.repoFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The files in examples/bad are broken on purpose; each must stay broken, and be reported in full. */
class BadExamplesTest {

    static Stream<Path> badExamples() throws IOException {
        try (Stream<Path> files = Files.list(repoFile("examples/bad"))) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("badExamples")
    void everyBadExampleIsRefusedWithProblemsInThatFile(Path file) {
        ConfigLoader.Result r = ConfigLoader.check(file);

        assertThat(r.ok()).as(file + " should be refused").isFalse();
        assertThat(r.problems()).allSatisfy(p -> {
            assertThat(p.location().file()).isEqualTo(file.toString());
            assertThat(p.location().line()).isPositive();
            assertThat(p.location().column()).isPositive();
            assertThat(p.hint()).isNotBlank();
        });
    }

    @Test
    void everyProblemInAFileIsReportedAtOnceEachAtItsLine() {
        Path file = repoFile("examples/bad/many-problems.yaml");
        String text = read(file);

        ConfigLoader.Result r = ConfigLoader.check(file);

        List<Expected> expected = List.of(
                new Expected("cluster: Demo", "bad value for 'cluster' in the top level: 'Demo' is not a valid name"),
                new Expected("raft_port: 71010", "bad value for 'raft_port' in sites[0]: port 71010 is out of range 1-65535"),
                new Expected("priority: high", "bad value for 'priority' in sites[0]: 'high' is not a whole number"),
                new Expected("- name: kyiv                      # duplicate", "duplicate site/witness name 'kyiv'"),
                new Expected("- name: kyiv                      # duplicate", "port 7111 on 127.0.1.1 is used twice (by 'kyiv' and 'kyiv')"),
                new Expected("address: 127.0.3.1", "missing required key 'api_port' in witness"),
                new Expected("kind: mysql", "bad value for 'kind' in resources[0]: 'mysql' is not one of postgres|store|process"),
                new Expected("sites: [kyiv, warsaw]", "resource 'db' names unknown site 'warsaw'"),
                new Expected("heartbeat: fast", "bad value for 'heartbeat' in timing: not a duration: 'fast' (write e.g. 250ms, 1.5s, 2m)"),
                new Expected("role: root", "bad value for 'role' in users[0]: 'root' is not one of viewer|operator|admin"),
                new Expected("token_sha256: demo-operator-token", "bad value for 'token_sha256' in users[0]"),
                new Expected("email: ops@example.com", "unknown key 'email' in users[0]"));
        assertThat(r.problems()).hasSameSizeAs(expected);
        for (Expected e : expected) {
            assertThat(r.problems()).as(e.message()).anySatisfy(p -> {
                assertThat(p.message()).startsWith(e.message());
                assertThat(p.location().line()).isEqualTo(lineOf(text, e.line()));
            });
        }
        assertThatThrownBy(() -> ConfigLoader.load(file)).isInstanceOfSatisfying(ConfigException.class,
                ex -> assertThat(ex.problems()).isEqualTo(r.problems()));
    }

    private record Expected(String line, String message) {}
}
