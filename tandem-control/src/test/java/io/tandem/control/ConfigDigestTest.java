package io.tandem.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigDigestTest {
    static TandemConfig config(String failAfter) {
        return config(failAfter, "");
    }

    static TandemConfig config(String failAfter, String extra) {
        String yaml = """
                cluster: demo
                sites:
                  - {name: kyiv, address: 127.0.1.1, raft_port: 7101, api_port: 7111}
                  - {name: frankfurt, address: 127.0.2.1, raft_port: 7201, api_port: 7211}
                witness: {address: 127.0.3.1, raft_port: 7301, api_port: 7311}
                resources:
                  - {name: db, kind: postgres}
                timing: {fail_after: %s}
                """.formatted(failAfter) + extra;
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", yaml, Path.of("."));
        assertThat(r.problems()).isEmpty();
        return r.config();
    }

    static Observations nobody() {
        return new Observations(0, Map.of());
    }

    @Test
    void theClusterIsFormedWithTheDigestOfItsConfig() {
        TandemConfig c = config("1.5s");
        Decision d = new Controller(c).decide(ClusterState.empty(), nobody(), 1000);
        assertThat(d.reason().code()).isEqualTo(ReasonCode.INITIALIZE);
        ClusterState s = ClusterState.empty().apply(d.command().orElseThrow());
        assertThat(s.configDigest()).isEqualTo(c.digest());
        assertThat(s.configVersion()).isEqualTo(1);
    }

    @Test
    void aLeaderWithAChangedConfigRecordsTheNextConfigVersionOnce() {
        TandemConfig old = config("1.5s");
        TandemConfig changed = config("2s");
        assertThat(changed.digest()).isNotEqualTo(old.digest());
        ClusterState s = ClusterState.empty().apply(new Controller(old).decide(ClusterState.empty(), nobody(), 1000).command().orElseThrow());

        Decision d = new Controller(changed).decide(s, nobody(), 2000);
        assertThat(d.reason().code()).isEqualTo(ReasonCode.CONFIG_CHANGED);
        assertThat(d.command()).containsInstanceOf(Command.ConfigChanged.class);
        ClusterState next = s.apply(d.command().orElseThrow());
        assertThat(next.configVersion()).isEqualTo(2);
        assertThat(next.configDigest()).isEqualTo(changed.digest());
        assertThat(new Controller(changed).decide(next, nobody(), 3000).reason().code()).isNotEqualTo(ReasonCode.CONFIG_CHANGED);
    }

    @Test
    void usersDoNotChangeTheDigest() {
        TandemConfig a = config("1.5s");
        TandemConfig withUser = config("1.5s", """
                users:
                  - {name: ops, role: operator, token_sha256: 0000000000000000000000000000000000000000000000000000000000000000}
                """);
        assertThat(withUser.users()).hasSize(1);
        assertThat(withUser.digest()).isEqualTo(a.digest());
    }
}
