package io.tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayCommandTest {
    @TempDir
    Path tmp;

    @Test
    void gatewayWithoutServicesIsRefusedWithAClearMessage() throws Exception {
        Path cfg = tmp.resolve("tandem.yaml");
        Files.writeString(cfg, """
                sites:
                  - {name: kyiv, address: 127.0.1.1, raft_port: 7101, api_port: 7111}
                  - {name: frankfurt, address: 127.0.2.1, raft_port: 7201, api_port: 7211}
                witness: {address: 127.0.3.1, raft_port: 7301, api_port: 7311}
                """);
        CommandLineBehaviourTest.Run r = CommandLineBehaviourTest.inProcess("gateway", "--config", cfg.toString());
        assertThat(r.exit()).isEqualTo(Main.BAD_INPUT);
        assertThat(r.err()).contains("declares no gateway services").doesNotContainPattern(CommandLineBehaviourTest.STACK_TRACE);
    }

    @Test
    void gatewayOnATakenPortSaysWhichAndExits() throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            String example = Files.readString(Path.of("..", "examples", "two-sites.yaml"));
            Path cfg = tmp.resolve("tandem.yaml");
            Files.writeString(cfg, example.replace("http_port: 8080", "http_port: " + taken.getLocalPort()));
            CommandLineBehaviourTest.Run r = CommandLineBehaviourTest.inProcess("gateway", "--config", cfg.toString());
            assertThat(r.exit()).isEqualTo(Main.FAILED);
            assertThat(r.err()).contains(String.valueOf(taken.getLocalPort())).doesNotContainPattern(CommandLineBehaviourTest.STACK_TRACE);
        }
    }
}
