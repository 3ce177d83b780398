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

    /**
     * 64 MiB through the TCP listener to the echo upstream and back, the client starting to read only after a
     * second, so every socket buffer on the way fills: the relay stops reading from the side whose peer is full and
     * resumes when it drains, without losing, duplicating or reordering a byte.
     */
    @Test
    void tcpRelayCarriesMegabytesBothWaysUnchangedToAClientThatReadsLate() throws Exception {
        int total = 64 << 20;
        byte[] data = new byte[total];
        new java.util.Random(42).nextBytes(data);
        try (Socket s = new Socket("127.0.0.1", fx.tcpPort)) {
            s.setSoTimeout(10_000);
            java.io.InputStream in = s.getInputStream();
            byte[] greeting = in.readNBytes(5);
            assertThat(new String(greeting, StandardCharsets.UTF_8)).isEqualTo("kyiv\n");
            java.util.concurrent.atomic.AtomicReference<Throwable> writeFailed = new java.util.concurrent.atomic.AtomicReference<>();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int off = 0; off < total; off += 256 * 1024) {
                        out.write(data, off, Math.min(256 * 1024, total - off));
                    }
                    out.flush();
                } catch (Throwable e) {
                    writeFailed.set(e);
                }
            });
            java.security.MessageDigest sent = java.security.MessageDigest.getInstance("SHA-256");
            java.security.MessageDigest got = java.security.MessageDigest.getInstance("SHA-256");
            sent.update(data);
            byte[] buf = new byte[64 * 1024];
            int read = 0;
            Thread.sleep(1000); // nothing read yet: the writer blocks once every buffer on the way is full
            while (read < total) {
                int n = in.read(buf, 0, Math.min(buf.length, total - read));
                assertThat(n).as("bytes echoed before the connection ended (of %d)", total).isPositive();
                got.update(buf, 0, n);
                read += n;
            }
            writer.join(10_000);
            assertThat(writeFailed.get()).isNull();
            assertThat(got.digest()).as("SHA-256 of what came back").isEqualTo(sent.digest());
        }
    }
}
