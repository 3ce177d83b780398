package io.tandem.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.TandemConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gateway.in_agents: each site's agent also runs the gateway on the site's own address, following the cluster
 * state from the agents; the witness runs none. Three real peers in this JVM, real upstreams, real sockets.
 */
class GatewayRoleTest {
    @TempDir
    static Path dir;
    static final List<Agent> agents = new ArrayList<>();
    static final List<HttpServer> upstreams = new ArrayList<>();
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    static int httpPort;
    static int adminPort;

    @BeforeAll
    static void start() throws Exception {
        HttpServer kyiv = upstream("kyiv", "127.0.1.1");
        HttpServer frankfurt = upstream("frankfurt", "127.0.2.1");
        httpPort = freeOnSites();
        adminPort = freeOnSites();
        String yaml = ThreePeers.yaml("gateway-role") + """
                gateway:
                  in_agents: true
                  http_port: %d
                  admin_port: %d
                  access_log: false
                  services:
                    - name: web
                      mode: active-active
                      instances:
                        - {site: kyiv, address: "127.0.1.1:%d"}
                        - {site: frankfurt, address: "127.0.2.1:%d"}
                  routes:
                    - {path_prefix: /, service: web}
                """.formatted(httpPort, adminPort, kyiv.getAddress().getPort(), frankfurt.getAddress().getPort());
        Path file = dir.resolve("tandem.yaml");
        Files.writeString(file, yaml);
        TandemConfig config = ConfigLoader.load(file);
        for (String p : List.of("kyiv", "frankfurt", "witness")) {
            agents.add(Agent.start(config, p));
        }
    }

    @AfterAll
    static void stop() {
        agents.forEach(Agent::close);
        upstreams.forEach(s -> s.stop(0));
    }

    private static HttpServer upstream(String site, String address) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 50);
        s.createContext("/", ex -> {
            byte[] body = site.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        s.start();
        upstreams.add(s);
        return s;
    }

    /** A port free on both sites' addresses. */
    private static int freeOnSites() throws IOException {
        for (int i = 0; i < 50; i++) {
            int p = ThreePeers.port("127.0.1.1");
            try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getByName("127.0.2.1"))) {
                return p;
            } catch (IOException taken) {
                // another
            }
        }
        throw new IOException("no port free on 127.0.1.1 and 127.0.2.1");
    }

    private static HttpResponse<String> get(String address, int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + address + ":" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everySiteServesTheRoutesOnItsOwnAddressAndFollowsTheCluster() throws Exception {
        // active-active routes only to sites the leader reports healthy and unfenced: wait until both gateways know both
        for (String site : List.of("127.0.1.1", "127.0.2.1")) {
            long end = System.nanoTime() + 30_000_000_000L;
            int targets = 0;
            while (System.nanoTime() < end) {
                JsonNode v = Json.MAPPER.readTree(get(site, adminPort, "/v1/gateway").body());
                targets = v.path("services").get(0).path("targets").size();
                if (targets == 2 && !v.path("cluster").path("leader").asText().isEmpty()) break;
                Thread.sleep(100);
            }
            assertThat(targets).as("the gateway at %s learnt from the agents that both sites serve", site).isEqualTo(2);
        }
        for (String site : List.of("127.0.1.1", "127.0.2.1")) {
            List<String> answeredBy = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> r = get(site, httpPort, "/hello");
                assertThat(r.statusCode()).as("through the gateway of the site at %s", site).isEqualTo(200);
                answeredBy.add(r.body());
            }
            assertThat(answeredBy).as("active-active: both sites' instances, from the gateway at %s", site).contains("kyiv", "frankfurt");
        }
    }

    @Test
    void theWitnessRunsNoGateway() {
        assertThatThrownBy(() -> get("127.0.3.1", httpPort, "/hello")).isInstanceOf(ConnectException.class);
    }
}
