package io.tandem.model.config;

import static io.tandem.model.config.ConfigFixtures.read;
import static io.tandem.model.config.ConfigFixtures.repoFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** examples/two-sites.yaml is what newcomers copy; it must load, mean what its comments say, and show every key. */
class ExampleConfigTest {
    private static final Path EXAMPLE = repoFile("examples/two-sites.yaml");

    @Test
    void twoSitesExampleLoadsWithEveryValueAsWritten() throws Exception {
        TandemConfig c = ConfigLoader.load(EXAMPLE);

        assertThat(c.cluster()).isEqualTo("demo");
        assertThat(c.source()).isEqualTo(EXAMPLE.toString());
        assertThat(c.dataDir()).isEqualTo(EXAMPLE.toAbsolutePath().getParent().resolve("data"));
        assertThat(c.sites())
                .extracting(PeerConfig::name, PeerConfig::address, PeerConfig::raftPort, PeerConfig::apiPort,
                        PeerConfig::priority, PeerConfig::primaryEligible)
                .containsExactly(
                        tuple("kyiv", "127.0.1.1", 7101, 7111, 100, true),
                        tuple("frankfurt", "127.0.2.1", 7201, 7211, 50, true));
        assertThat(c.witness()).hasValueSatisfying(w -> {
            assertThat(w.name()).isEqualTo("witness");
            assertThat(w.raftAddress()).isEqualTo("127.0.3.1:7301");
            assertThat(w.apiUrl()).isEqualTo("http://127.0.3.1:7311");
            assertThat(w.primaryEligible()).isFalse();
        });
        assertThat(c.resources()).singleElement().satisfies(r -> {
            assertThat(r.name()).isEqualTo("db");
            assertThat(r.kind()).isEqualTo(ResourceKind.POSTGRES);
            assertThat(r.mode()).isEqualTo(ReplicationMode.SYNC);
            assertThat(r.sites()).containsExactly("kyiv", "frankfurt");
            assertThat(r.maxLagOnFailover()).isEqualTo(new DataSize(16L << 20));
        });
        assertThat(c.users()).singleElement().satisfies(u -> {
            assertThat(u.name()).isEqualTo("ops");
            assertThat(u.role()).isEqualTo(Role.OPERATOR);
            assertThat(u.tokenSha256()).isEqualTo(sha256Hex("demo-operator-token"));
        });
        assertThat(c.automaticFailoverPossible()).isTrue();
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void exampleTimingSpellsOutExactlyTheDefaults() throws Exception {
        TimingConfig t = ConfigLoader.load(EXAMPLE).timing();

        assertThat(t).isEqualTo(TimingConfig.defaults());
        assertThat(t.heartbeat()).isEqualTo(Duration.ofMillis(250));
        assertThat(t.failAfter()).isEqualTo(Duration.ofMillis(1500));
        assertThat(t.fenceAfter()).isEqualTo(Duration.ofSeconds(1));
        assertThat(t.electionTimeoutMin()).isEqualTo(Duration.ofMillis(150));
        assertThat(t.electionTimeoutMax()).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void exampleShowsEveryDeclaredKey() {
        String text = read(EXAMPLE);

        assertThat(ConfigKeys.ALL).allSatisfy(k -> assertThat(text)
                .as("examples/two-sites.yaml should show '%s' (commented out if it keeps its default)", k.path())
                .contains(k.name() + ":"));
    }

    @Test
    void userToStringNeverShowsTheTokenHash() throws Exception {
        UserConfig ops = ConfigLoader.load(EXAMPLE).users().get(0);

        assertThat(ops.toString()).contains("ops").doesNotContain(ops.tokenSha256());
    }

    private static String sha256Hex(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
