package io.tandem.model.config;

import static io.tandem.model.config.ConfigFixtures.FILE;
import static io.tandem.model.config.ConfigFixtures.VALID;
import static io.tandem.model.config.ConfigFixtures.check;
import static io.tandem.model.config.ConfigFixtures.lineOf;
import static io.tandem.model.config.ConfigFixtures.messages;
import static io.tandem.model.config.ConfigFixtures.read;
import static io.tandem.model.config.ConfigFixtures.repoFile;
import static io.tandem.model.config.ConfigFixtures.validWith;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each key is read by its declared type: unknown keys, missing keys and bad values are refused, with where and why. */
class KeysAndValuesTest {

    @Test
    void validFixtureLoadsWithoutProblems() {
        ConfigLoader.Result r = check(VALID);

        assertThat(r.problems()).isEmpty();
        assertThat(r.warnings()).isEmpty();
        assertThat(r.config().dataDir()).isEqualTo(Path.of("/etc/tandem/data"));
    }

    @Test
    void misspeltKeyIsReportedAtItsOwnLineWithDidYouMean() {
        Path file = repoFile("examples/bad/unknown-key.yaml");
        String text = read(file);

        ConfigLoader.Result r = ConfigLoader.check(file);

        assertThat(r.problems()).anySatisfy(p -> {
            assertThat(p.message()).isEqualTo("unknown key 'raft-port' in sites[1]");
            assertThat(p.location()).isEqualTo(new Location(file.toString(), lineOf(text, "raft-port:"), 5));
            assertThat(p.hint()).isEqualTo("did you mean 'raft_port'?");
        });
        assertThat(messages(r)).contains("missing required key 'raft_port' in sites[1]");
    }

    @Test
    void unknownTopLevelKeyFarFromAnyKnownKeyListsTheKnownKeys() {
        ConfigLoader.Result r = check(VALID + "gateway_listeners: 8080\n");

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("unknown key 'gateway_listeners' in the top level");
            assertThat(p.location().line()).isEqualTo(lineOf(VALID, "token_sha256") + 1);
            assertThat(p.hint()).startsWith("known keys here: ").contains("sites", "witness", "timing");
        });
    }

    @Test
    void misspeltTimingKeyIsNotSilentlyReplacedByItsDefault() {
        ConfigLoader.Result r = check(validWith("  fail_after: 1.5s", "  fail_afer: 3s"));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("unknown key 'fail_afer' in timing");
            assertThat(p.hint()).isEqualTo("did you mean 'fail_after'?");
        });
    }

    @Test
    void everyMissingRequiredKeyIsReportedWithWhatToWrite() {
        String yaml = """
                sites:
                  - name: kyiv
                resources:
                  - name: db
                users:
                  - name: ops
                """;

        ConfigLoader.Result r = check(yaml);

        assertThat(messages(r)).contains(
                "missing required key 'address' in sites[0]",
                "missing required key 'raft_port' in sites[0]",
                "missing required key 'api_port' in sites[0]",
                "missing required key 'kind' in resources[0]",
                "missing required key 'role' in users[0]",
                "missing required key 'token_sha256' in users[0]");
        assertThat(r.problems()).filteredOn(p -> p.message().contains("'address' in sites[0]")).singleElement().satisfies(p -> {
            assertThat(p.location()).isEqualTo(new Location(FILE, 2, 5));
            assertThat(p.hint()).isEqualTo("add 'address: <host or IP address>' (" + ConfigKeys.SITE_ADDRESS.meaning() + ")");
        });
    }

    @Test
    void requiredKeyWrittenWithoutValueIsReportedAtTheKey() {
        ConfigLoader.Result r = check(validWith("    address: 127.0.2.1", "    address:"));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("missing required key 'address' in sites[1]");
            assertThat(p.location()).isEqualTo(new Location(FILE, lineOf(VALID, "127.0.2.1"), 5));
        });
    }

    @Test
    void witnessWithoutAddressIsRefusedButAMissingWitnessSectionIsNot() {
        assertThat(messages(check(validWith("  address: 127.0.3.1\n", ""))))
                .containsExactly("missing required key 'address' in witness");
        assertThat(check(validWith("witness:\n  address: 127.0.3.1\n  raft_port: 7301\n  api_port: 7311\n", "")).ok()).isTrue();
    }

    @Test
    void fileWithoutSitesIsRefused() {
        assertThat(messages(check("cluster: demo\n"))).containsExactly("no sites are declared");
    }

    @ParameterizedTest(name = "{0}: {1} -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            heartbeat    | '  heartbeat: 250ms'        | '  heartbeat: 5 seconds'      | not a duration: '5 seconds' (write e.g. 250ms, 1.5s, 2m)
            fail_after   | '  fail_after: 1.5s'        | '  fail_after: -1s'           | not a duration: '-1s'
            fail_after   | '  fail_after: 1.5s'        | '  fail_after: 1500'          | not a duration: '1500'
            raft_port    | '    raft_port: 7101'       | '    raft_port: 70000'        | port 70000 is out of range 1-65535
            raft_port    | '    raft_port: 7101'       | '    raft_port: 0'            | port 0 is out of range 1-65535
            api_port     | '    api_port: 7111'        | '    api_port: http'          | 'http' is not a whole number
            priority     | '    priority: 50'          | '    priority: high'          | 'high' is not a whole number
            kind         | '    kind: postgres'        | '    kind: mysql'             | 'mysql' is not one of postgres|store|process
            role         | '    role: operator'        | '    role: root'              | 'root' is not one of viewer|operator|admin
            cluster      | 'cluster: test'             | 'cluster: Test'               | 'Test' is not a valid name
            address      | '    address: 127.0.1.1'    | '    address: http://kyiv'    | 'http://kyiv' is not a host name or IP address
            """)
    void badValueIsRefusedAtItsLineWithTheExpectedForm(String key, String written, String replacement, String why) {
        ConfigLoader.Result r = check(validWith(written, replacement));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).startsWith("bad value for '" + key + "'").contains(why);
            assertThat(p.location().line()).isEqualTo(lineOf(VALID, written.strip()));
            assertThat(p.hint()).startsWith("expected ");
        });
    }

    @Test
    void unknownReplicationModeListsTheChoices() {
        ConfigLoader.Result r = check(validWith("    kind: postgres\n", "    kind: postgres\n    mode: semi-sync\n"));

        assertThat(messages(r)).containsExactly("bad value for 'mode' in resources[0]: 'semi-sync' is not one of sync|async");
    }

    @Test
    void badSizeIsRefusedWithTheUnitsToUse() {
        ConfigLoader.Result r = check(validWith("    kind: postgres\n", "    kind: postgres\n    mode: async\n    max_lag_on_failover: 16XB\n"));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).contains("max_lag_on_failover").contains("unknown size unit 'XB' (use B, kB, MB, GB or TB)");
            assertThat(p.hint()).startsWith("expected size (16MB, 512kB)");
        });
    }

    @Test
    void sizeTooLargeForALongIsRefusedRatherThanOverflowing() {
        ConfigLoader.Result r = check(validWith("    kind: postgres\n", "    kind: postgres\n    max_lag_on_failover: 99999999999TB\n"));

        assertThat(messages(r)).singleElement().asString().startsWith("bad value for 'max_lag_on_failover'");
    }

    @Test
    void sizesAndDurationsAreReadInTheirUnits() {
        String yaml = validWith("    kind: postgres\n", "    kind: postgres\n    mode: async\n    max_lag_on_failover: 512kB\n")
                .replace("  fail_after: 1.5s", "  fail_after: 2m");

        TandemConfig c = check(yaml).config();

        assertThat(c.resources().get(0).maxLagOnFailover().bytes()).isEqualTo(512L * 1024);
        assertThat(c.resources().get(0).mode()).isEqualTo(ReplicationMode.ASYNC);
        assertThat(c.timing().failAfter()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void listWhereAValueBelongsIsRefused() {
        ConfigLoader.Result r = check(validWith("    address: 127.0.1.1", "    address: [127.0.1.1, 127.0.1.2]"));

        assertThat(messages(r)).containsExactly("'address' in sites[0] should be a single value, found a list");
    }

    @Test
    void sitesWrittenAsAMappingIsRefusedAsNotAList() {
        ConfigLoader.Result r = check("sites:\n  kyiv:\n    address: 127.0.1.1\n");

        assertThat(messages(r)).contains("'sites' should be a list, found a mapping");
    }

    @Test
    void tokenThatIsNotASha256IsRefusedWithoutRepeatingIt() {
        String token = "demo-operator-token";

        ConfigLoader.Result r = check(validWith("61112491d046c3f6f8ab801f170d9b2d0c734a17ceff60dee92123fb507cfc3f", token));

        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).startsWith("bad value for 'token_sha256' in users[0]").contains("never the token itself");
            assertThat(p.location().line()).isEqualTo(lineOf(VALID, "token_sha256"));
            assertThat(p.toString()).doesNotContain(token);
        });
    }

    @ParameterizedTest
    @CsvSource({
            "61112491D046C3F6F8AB801F170D9B2D0C734A17CEFF60DEE92123FB507CFC3F", // upper case
            "61112491d046c3f6f8ab801f170d9b2d0c734a17ceff60dee92123fb507cfc3", // 63 digits
            "61112491d046c3f6f8ab801f170d9b2d0c734a17ceff60dee92123fb507cfc3g", // not hex
    })
    void tokenHashMustBeExactly64LowerCaseHexDigits(String hash) {
        assertThat(messages(check(validWith("61112491d046c3f6f8ab801f170d9b2d0c734a17ceff60dee92123fb507cfc3f", hash))))
                .singleElement().asString().startsWith("bad value for 'token_sha256'");
    }

    @Test
    void loadThrowsWithEveryProblemAsFileLineColumn() {
        ConfigLoader.Result r = check(validWith("    raft_port: 7101", "    raft_port: 70000").replace("    role: operator", "    role: root"));

        assertThat(r.problems()).hasSize(2);
        ConfigException e = new ConfigException(r.problems());
        assertThat(e.getMessage()).contains(FILE + ":" + lineOf(VALID, "raft_port: 7101") + ":16: bad value for 'raft_port'")
                .contains(FILE + ":" + lineOf(VALID, "role: operator") + ":11: bad value for 'role'")
                .contains("    hint: ");
    }
}
