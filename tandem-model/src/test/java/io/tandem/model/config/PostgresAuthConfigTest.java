package io.tandem.model.config;

import static io.tandem.model.config.ConfigFixtures.VALID;
import static io.tandem.model.config.ConfigFixtures.lineOf;
import static io.tandem.model.config.ConfigFixtures.validWith;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** postgres.password_file and postgres.clients: checked when the file is read, never quoting the password. */
class PostgresAuthConfigTest {
    @TempDir
    Path dir;

    private ConfigLoader.Result load(String yaml) {
        return ConfigLoader.parse("tandem.yaml", yaml, dir);
    }

    @Test
    void aPasswordFileRelativeToTheConfigIsTakenAndTheClientsListed() throws Exception {
        Path pw = dir.resolve("pg-password");
        Files.writeString(pw, "hunter2-but-longer\n");
        Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
        ConfigLoader.Result r = load(VALID + "postgres:\n  password_file: pg-password\n  clients: [10.1.0.0/16, 192.168.7.9, \"2001:db8::/32\"]\n");

        assertThat(r.problems()).isEmpty();
        assertThat(r.warnings()).isEmpty();
        assertThat(r.config().postgres().passwordFile()).isEqualTo(pw);
        assertThat(r.config().postgres().clients()).containsExactly("10.1.0.0/16", "192.168.7.9/32", "2001:db8::/32");
        assertThat(ConfigLoader.parse("tandem.yaml", VALID, dir).config().postgres().clients()).containsExactly("127.0.0.0/8");
    }

    @Test
    void aMissingOrEmptyPasswordFileIsRefusedAtItsLine() throws Exception {
        String yaml = VALID + "postgres:\n  password_file: nowhere\n";
        ConfigLoader.Result r = load(yaml);
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("postgres.password_file " + dir.resolve("nowhere") + " does not exist or is not a file");
            assertThat(p.location().line()).isEqualTo(lineOf(yaml, "password_file"));
            assertThat(p.hint()).contains("first line", "chmod 600");
        });

        Files.writeString(dir.resolve("empty"), "\nsecret-on-the-second-line\n");
        ConfigLoader.Result empty = load(VALID + "postgres:\n  password_file: empty\n");
        assertThat(empty.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).endsWith("has an empty first line").doesNotContain("secret");
        });
    }

    @Test
    void aPasswordFileOthersCanReadIsAWarning() throws Exception {
        Path pw = dir.resolve("pg-password");
        Files.writeString(pw, "the-password\n");
        Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-r--r--"));
        ConfigLoader.Result r = load(VALID + "postgres:\n  password_file: pg-password\n");
        assertThat(r.problems()).isEmpty();
        assertThat(r.warnings()).singleElement().satisfies(w -> {
            assertThat(w.message()).contains("may be read by other users", "rw-r--r--").doesNotContain("the-password");
            assertThat(w.hint()).isEqualTo("chmod 600 " + pw);
        });
    }

    @Test
    void aBadClientNetworkIsRefused() {
        String yaml = VALID + "postgres:\n  clients: [10.1.0.0/33, not-an-ip]\n";
        ConfigLoader.Result r = load(yaml);
        assertThat(r.problems()).extracting(ConfigProblem::message).anySatisfy(m -> assertThat(m).contains("10.1.0.0/33", "prefix length must be 0-32"))
                .anySatisfy(m -> assertThat(m).contains("'not-an-ip' is not an IP address"));
    }

    @Test
    void sitesOnOtherHostsWithoutAPasswordGetAWarning() {
        ConfigLoader.Result r = load(validWith("address: 127.0.2.1", "address: 10.0.2.1"));
        assertThat(r.problems()).isEmpty();
        assertThat(r.warnings()).singleElement().satisfies(w -> {
            assertThat(w.message()).contains("trusts every connection", "frankfurt (10.0.2.1)");
            assertThat(w.hint()).contains("postgres.password_file");
        });
    }

    @Test
    void clientNetworksBeyondLoopbackWithoutAPasswordGetAWarning() {
        ConfigLoader.Result r = load(VALID + "postgres:\n  clients: [10.0.0.0/8]\n");
        assertThat(r.problems()).isEmpty();
        assertThat(r.warnings()).singleElement().satisfies(w -> assertThat(w.message()).contains("trusts every connection", "postgres.clients 10.0.0.0/8"));
    }
}
