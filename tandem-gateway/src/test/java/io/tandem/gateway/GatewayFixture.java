package io.tandem.gateway;

import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.TandemConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Two sites of real upstreams (HTTP and TCP) on 127.0.1.1 and 127.0.2.1, a cluster-state endpoint per site,
 * and a gateway configured for them. Everything started is closed by {@link #close()}, also after a failure
 * half way through the start.
 */
final class GatewayFixture implements AutoCloseable {
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    final TestUpstream kyiv;
    final TestUpstream frankfurt;
    final TestUpstream aaKyiv;
    final TestUpstream aaFrankfurt;
    final EchoServer echoKyiv;
    final EchoServer echoFrankfurt;
    final Slammer slammer;
    final FakeCluster clusterKyiv;
    final FakeCluster clusterFrankfurt;
    final int httpPort;
    final int adminPort;
    final int tcpPort;
    final int deadPort;
    final Gateway gateway;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    GatewayFixture(String gatewayExtra) throws Exception {
        try {
            kyiv = add(new TestUpstream("kyiv", "127.0.1.1"));
            frankfurt = add(new TestUpstream("frankfurt", "127.0.2.1"));
            aaKyiv = add(new TestUpstream("kyiv", "127.0.1.1"));
            aaFrankfurt = add(new TestUpstream("frankfurt", "127.0.2.1"));
            echoKyiv = add(new EchoServer("kyiv", "127.0.1.1"));
            echoFrankfurt = add(new EchoServer("frankfurt", "127.0.2.1"));
            slammer = add(new Slammer("127.0.1.1"));
            clusterKyiv = add(new FakeCluster("127.0.1.1"));
            clusterFrankfurt = add(new FakeCluster("127.0.2.1"));
            httpPort = freePort();
            adminPort = freePort();
            tcpPort = freePort();
            deadPort = freePort();
            String yaml = """
                    cluster: test
                    sites:
                      - name: kyiv
                        address: 127.0.1.1
                        raft_port: 7101
                        api_port: %d
                      - name: frankfurt
                        address: 127.0.2.1
                        raft_port: 7201
                        api_port: %d
                    resources:
                      - name: db
                        kind: postgres
                    gateway:
                      http_port: %d
                      admin_port: %d
                      poll_interval: 50ms
                      poll_timeout: 300ms
                      connect_timeout: 500ms
                      access_log: false
                    %s
                      services:
                        - name: web
                          resource: db
                          instances:
                            - site: kyiv
                              address: %s
                            - site: frankfurt
                              address: %s
                        - name: spread
                          mode: active-active
                          instances:
                            - site: kyiv
                              address: %s
                            - site: frankfurt
                              address: %s
                        - name: flaky
                          mode: active-active
                          instances:
                            - site: kyiv
                              address: 127.0.1.1:%d
                            - site: frankfurt
                              address: %s
                        - name: slam
                          mode: active-active
                          instances:
                            - site: kyiv
                              address: %s
                            - site: frankfurt
                              address: %s
                        - name: echo
                          resource: db
                          instances:
                            - site: kyiv
                              address: %s
                            - site: frankfurt
                              address: %s
                      routes:
                        - path_prefix: /
                          service: web
                        - path_prefix: /spread/
                          service: spread
                        - path_prefix: /flaky/
                          service: flaky
                        - path_prefix: /slam/
                          service: slam
                      tcp_listeners:
                        - name: echo
                          port: %d
                          service: echo
                    """.formatted(clusterKyiv.port(), clusterFrankfurt.port(), httpPort, adminPort, gatewayExtra.indent(2).stripTrailing(),
                    kyiv.address(), frankfurt.address(), aaKyiv.address(), aaFrankfurt.address(), deadPort, aaFrankfurt.address(),
                    slammer.address(), aaFrankfurt.address(), echoKyiv.address(), echoFrankfurt.address(), tcpPort);
            ConfigLoader.Result r = ConfigLoader.parse("test.yaml", yaml, Path.of("/tmp"));
            if (!r.ok()) throw new IllegalStateException("test config refused:\n" + r.problems() + "\n" + yaml);
            TandemConfig config = r.config();
            gateway = add(Gateway.start(config));
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private <T extends AutoCloseable> T add(T c) {
        toClose.push(c);
        return c;
    }

    /**
     * A config with site kyiv (and frankfurt when {@code twoSites}) on free ports whose gateway section starts with
     * http_port and admin_port and goes on with {@code gatewayRest} (indented as gateway keys); refused configs fail the test.
     */
    static TandemConfig config(boolean twoSites, int httpPort, int adminPort, String gatewayRest, Path baseDir) throws IOException {
        String yaml = "cluster: test\nsites:\n  - {name: kyiv, address: 127.0.1.1, raft_port: " + freePort() + ", api_port: " + freePort() + "}\n"
                + (twoSites ? "  - {name: frankfurt, address: 127.0.2.1, raft_port: " + freePort() + ", api_port: " + freePort() + "}\n" : "")
                + "gateway:\n  http_port: " + httpPort + "\n  admin_port: " + adminPort + "\n" + gatewayRest.stripIndent().indent(2);
        ConfigLoader.Result r = ConfigLoader.parse("test.yaml", yaml, baseDir);
        if (!r.ok()) throw new AssertionError("test config refused: " + r.problems() + "\n" + yaml);
        return r.config();
    }

    static int freePort() throws IOException {
        return io.tandem.model.net.FreePorts.take("127.0.0.1");
    }

    /** Both cluster endpoints answer: kyiv's as the leader, frankfurt's from its local copy. */
    void primary(String site, long epoch, String... health) {
        clusterKyiv.set("leader", site, epoch, health);
        clusterFrankfurt.set("local", site, epoch, health);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> admin(String method, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        while (!toClose.isEmpty()) {
            try {
                toClose.pop().close();
            } catch (Exception e) {
                System.err.println("closing a test server failed: " + e);
            }
        }
        client.shutdownNow();
    }
}
