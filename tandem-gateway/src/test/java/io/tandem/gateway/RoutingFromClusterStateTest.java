package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routes follow the cluster state the agents serve: newest epoch only, last table kept when cut off, TCP moved on switchover. */
class RoutingFromClusterStateTest {
    private GatewayFixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new GatewayFixture("");
        fx.primary("kyiv", 1, "kyiv=healthy", "frankfurt=healthy");
        await().atMost(Duration.ofSeconds(5)).until(() -> fx.get("/").body().startsWith("kyiv"));
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    @Test
    void activePassiveServiceFollowsThePrimaryToItsNewSite() throws Exception {
        fx.primary("frankfurt", 2, "kyiv=failed", "frankfurt=healthy");

        await().atMost(Duration.ofSeconds(5)).until(() -> fx.get("/").body().startsWith("frankfurt"));
        assertThat(fx.admin("GET", "/v1/gateway").body()).contains("\"site\" : \"frankfurt\"").contains("\"epoch\" : 2");
    }

    @Test
    void answerWithAnOlderEpochNeverMovesTheRouteBack() throws Exception {
        fx.primary("frankfurt", 2, "kyiv=healthy", "frankfurt=healthy");
        await().atMost(Duration.ofSeconds(5)).until(() -> fx.get("/").body().startsWith("frankfurt"));

        // kyiv, cut off from the quorum, still believes it is primary at epoch 1, and even claims to be the leader.
        fx.clusterKyiv.set("leader", "kyiv", 1, "kyiv=healthy", "frankfurt=healthy");
        fx.clusterFrankfurt.set("local", "kyiv", 1, "kyiv=healthy", "frankfurt=healthy");

        for (int i = 0; i < 20; i++) {
            assertThat(fx.get("/").body()).startsWith("frankfurt");
            Thread.sleep(25); // spans several polls (50 ms); there is no event to wait for when nothing must change
        }
        assertThat(fx.kyiv.seen).hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void gatewayCutOffFromEveryAgentKeepsItsLastTable() throws Exception {
        fx.clusterKyiv.close();
        fx.clusterFrankfurt.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> fx.admin("GET", "/v1/gateway").body().contains("pollErrors\" : {\n      \"frankfurt"));

        assertThat(fx.get("/").body()).startsWith("kyiv");
    }

    @Test
    void activeActiveServiceSpreadsOverHealthySitesAndDropsAFailedOne() throws Exception {
        Set<String> sites = new HashSet<>();
        for (int i = 0; i < 10; i++) sites.add(fx.get("/spread/x").body().split(" ")[0]);
        assertThat(sites).containsExactlyInAnyOrder("kyiv", "frankfurt");

        fx.primary("kyiv", 1, "kyiv=healthy", "frankfurt=failed");
        await().atMost(Duration.ofSeconds(5)).until(() -> fx.admin("GET", "/v1/gateway").body().contains("\"health\" : \"failed\""));
        sites.clear();
        for (int i = 0; i < 10; i++) sites.add(fx.get("/spread/x").body().split(" ")[0]);
        assertThat(sites).containsExactly("kyiv");
    }

    @Test
    void tcpConnectionReachesThePrimaryAndIsClosedWhenThePrimaryMoves() throws Exception {
        try (Socket s = new Socket("127.0.0.1", fx.tcpPort)) {
            s.setSoTimeout(5000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            assertThat(in.readLine()).isEqualTo("kyiv");
            out.write("hello\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThat(in.readLine()).isEqualTo("hello");

            fx.primary("frankfurt", 2, "kyiv=healthy", "frankfurt=healthy");

            assertThat(in.readLine()).as("the connection to the old primary is closed").isNull();
        }
        try (Socket s = new Socket("127.0.0.1", fx.tcpPort)) {
            s.setSoTimeout(5000);
            assertThat(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine()).isEqualTo("frankfurt");
        }
    }
}
