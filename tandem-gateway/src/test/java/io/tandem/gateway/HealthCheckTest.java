package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Active health checks (HTTP and TCP) and passive ejection after a burst of 5xx answers, against real upstreams:
 * an instance that fails its checks gets no request until it passes again, and one that answers 5xx in a row is
 * skipped while its service has another; a sticky cookie keeps a client on one instance while that instance serves.
 */
class HealthCheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestUpstream kyiv;
    private TestUpstream frankfurt;
    private Gateway gateway;
    private int httpPort;
    private int adminPort;
    private int deadPort;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeEach
    void start() throws Exception {
        kyiv = new TestUpstream("kyiv", "127.0.1.1");
        frankfurt = new TestUpstream("frankfurt", "127.0.2.1");
        httpPort = GatewayFixture.freePort();
        adminPort = GatewayFixture.freePort();
        deadPort = GatewayFixture.freePort();
        gateway = Gateway.start(GatewayFixture.config(true, httpPort, adminPort, """
                eject_for: 30s
                access_log: false
                services:
                  - name: web
                    mode: active-active
                    eject_after_5xx: 3
                    sticky_cookie: tandem_web
                    health_check: {path: /healthz, interval: 100ms, timeout: 100ms, rise: 2, fall: 2}
                    instances:
                      - {site: kyiv, address: "%s"}
                      - {site: frankfurt, address: "%s"}
                  - name: gone
                    mode: active-active
                    health_check: {type: tcp, interval: 100ms, timeout: 100ms, fall: 1}
                    instances:
                      - {site: kyiv, address: "127.0.1.1:%d"}
                routes:
                  - {path_prefix: /, service: web}
                  - {path_prefix: /gone/, service: gone}
                """.formatted(kyiv.address(), frankfurt.address(), deadPort), Path.of("/tmp")));
    }

    @AfterEach
    void stop() {
        if (gateway != null) gateway.close();
        kyiv.close();
        frankfurt.close();
        client.shutdownNow();
    }

    @Test
    void anInstanceFailingItsChecksGetsNoRequestUntilItPassesAgain() throws Exception {
        assertThat(sites(10)).as("both instances serve while healthy").contains("kyiv", "frankfurt");
        kyiv.healthStatus = 503;
        await("kyiv out of rotation").atMost(Duration.ofSeconds(5)).until(() -> !healthy("web", "kyiv"));
        assertThat(target("web", "kyiv").path("lastCheck").asText()).contains("GET /healthz", "HTTP 503");
        assertThat(metrics()).contains("tandem_gateway_upstream_healthy{address=\"" + kyiv.address() + "\",service=\"web\",site=\"kyiv\"} 0");
        int before = kyiv.started.get();
        assertThat(sites(20)).as("only frankfurt serves").containsOnly("frankfurt");
        assertThat(kyiv.started.get()).as("no request reached kyiv while it was down").isEqualTo(before);

        kyiv.healthStatus = 200;
        await("kyiv back after rise passes").atMost(Duration.ofSeconds(5)).until(() -> healthy("web", "kyiv"));
        assertThat(sites(10)).contains("kyiv", "frankfurt");
    }

    @Test
    void everyInstanceDownAnswers503WithTheReason() throws Exception {
        await("the TCP check takes the dead instance down").atMost(Duration.ofSeconds(5)).until(() -> !healthy("gone", "kyiv"));
        assertThat(target("gone", "kyiv").path("lastCheck").asText()).startsWith("failed: TCP connect");
        HttpResponse<String> r = get("/gone/x");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("failed its health checks");
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void aBurstOf5xxEjectsTheInstanceWhileAnotherServes() throws Exception {
        kyiv.status = 500;
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 30; i++) statuses.add(get("/x").statusCode());
        assertThat(statuses.stream().filter(s -> s == 500).count()).as("kyiv's 5xx answers before it was ejected").isEqualTo(3);
        assertThat(statuses.subList(statuses.lastIndexOf(500) + 1, statuses.size())).as("after the third, only frankfurt").containsOnly(200);
        assertThat(target("web", "kyiv").path("ejected").asBoolean()).isTrue();
        assertThat(healthy("web", "kyiv")).as("its health checks still pass: ejected, not down").isTrue();
    }

    private List<String> sites(int n) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = get("/x");
            assertThat(r.statusCode()).isEqualTo(200);
            out.add(r.body().split(" ")[0]);
        }
        return out;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode target(String service, String site) throws Exception {
        String body = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/v1/gateway")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (JsonNode s : JSON.readTree(body).path("services")) {
            if (!s.path("name").asText().equals(service)) continue;
            for (JsonNode t : s.path("targets")) {
                if (t.path("site").asText().equals(site)) return t;
            }
        }
        throw new AssertionError("no target " + service + "@" + site + " in " + body);
    }

    private boolean healthy(String service, String site) throws Exception {
        return target(service, site).path("healthy").asBoolean();
    }

    private String metrics() throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void aStickyCookieKeepsTheClientOnOneInstanceWhileItServes() throws Exception {
        HttpResponse<String> first = get("/x");
        String setCookie = first.headers().firstValue("Set-Cookie").orElseThrow(() -> new AssertionError("no Set-Cookie on a sticky service's first answer"));
        assertThat(setCookie).startsWith("tandem_web=").contains("Path=/", "HTTPOnly", "SameSite=Lax");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        String site = first.body().split(" ")[0];
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = withCookie(cookie);
            assertThat(r.body()).as("request %d with the cookie", i).startsWith(site + " ");
            assertThat(r.headers().firstValue("Set-Cookie")).as("no new cookie while the instance serves").isEmpty();
        }
        assertThat(sites(10)).as("without the cookie: round robin").contains("kyiv", "frankfurt");

        // its instance leaves rotation: the client moves, and is told its new instance
        TestUpstream mine = site.equals("kyiv") ? kyiv : frankfurt;
        String other = site.equals("kyiv") ? "frankfurt" : "kyiv";
        mine.healthStatus = 503;
        await("the client's instance out of rotation").atMost(Duration.ofSeconds(5)).until(() -> !healthy("web", site));
        HttpResponse<String> moved = withCookie(cookie);
        assertThat(moved.body()).startsWith(other + " ");
        assertThat(moved.headers().firstValue("Set-Cookie")).hasValueSatisfying(v -> assertThat(v).startsWith("tandem_web=").doesNotStartWith(cookie + ";"));
        assertThat(withCookie("tandem_web=not-an-instance").statusCode()).as("an unknown value is just a new client").isEqualTo(200);
    }

    private HttpResponse<String> withCookie(String cookie) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/x")).header("Cookie", "other=1; " + cookie)
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
