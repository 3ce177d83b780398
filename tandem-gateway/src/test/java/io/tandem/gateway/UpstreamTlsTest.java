package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.tandem.model.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * upstream_tls: HTTPS from the gateway to a service's instances, health checks included; an instance whose certificate
 * is not trusted or does not carry the expected name gets nothing, the client a 502.
 */
class UpstreamTlsTest {
    @TempDir
    Path dir;

    private SelfSignedCertificate cert;
    private TestUpstream upstream;
    private Gateway gateway;
    private int httpPort;
    private int adminPort;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeEach
    void start() throws Exception {
        cert = new SelfSignedCertificate("localhost");
        Files.copy(cert.certificate().toPath(), dir.resolve("ca.pem")); // self-signed: its own CA
        upstream = new TestUpstream("kyiv", "127.0.1.1", TestCerts.context(cert));
        httpPort = GatewayFixture.freePort();
        adminPort = GatewayFixture.freePort();
        gateway = Gateway.start(GatewayFixture.config(false, httpPort, adminPort, """
                access_log: false
                services:
                  - name: good
                    mode: active-active
                    upstream_tls: {ca_file: ca.pem, server_name: localhost}
                    health_check: {path: /healthz, interval: 500ms, timeout: 500ms, rise: 1, fall: 1}
                    instances: [{site: kyiv, address: "%1$s"}]
                  - name: untrusted
                    mode: active-active
                    upstream_tls: {server_name: localhost}
                    instances: [{site: kyiv, address: "%1$s"}]
                  - name: wrongname
                    mode: active-active
                    upstream_tls: {ca_file: ca.pem, server_name: other.example}
                    instances: [{site: kyiv, address: "%1$s"}]
                routes:
                  - {path_prefix: /good/, service: good}
                  - {path_prefix: /untrusted/, service: untrusted}
                  - {path_prefix: /wrong/, service: wrongname}
                """.formatted(upstream.address()), dir));
    }

    @AfterEach
    void stop() {
        if (gateway != null) gateway.close();
        upstream.close();
        client.shutdownNow();
        cert.delete();
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("order=1") : HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void requestsReachAnInstanceOverHttpsWhoseCertificateIsTrustedForTheName() throws Exception {
        HttpResponse<String> r = send("GET", "/good/x");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("kyiv ");
        assertThat(upstream.seen).singleElement().satisfies(s -> {
            assertThat(s.path()).isEqualTo("/good/x");
            assertThat(s.header("X-Forwarded-Proto")).as("the client spoke plain HTTP to the gateway").isEqualTo("http");
        });
        // keep-alive over TLS: a second request on the pooled connection
        assertThat(send("POST", "/good/y").statusCode()).isEqualTo(200);
        assertThat(upstream.seen).extracting(TestUpstream.Seen::path).containsExactly("/good/x", "/good/y");
        await("the health check passes over HTTPS").atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(String.valueOf(gateway.describe().get("services"))).contains("lastCheck=passed: GET /healthz HTTP 200"));
    }

    @Test
    void anUntrustedCertificateOrAnotherNameGetsNothingAndTheClientA502() throws Exception {
        assertThat(send("GET", "/untrusted/a").statusCode()).isEqualTo(502);
        assertThat(send("GET", "/wrong/b").statusCode()).isEqualTo(502);
        assertThat(send("POST", "/wrong/c").statusCode()).isEqualTo(502);
        assertThat(upstream.seen).as("no request reached the instance").isEmpty();
        String metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).containsPattern("tandem_gateway_upstream_errors_total\\{kind=\"tls\",service=\"wrongname\"\\} [1-9]")
                .containsPattern("tandem_gateway_upstream_errors_total\\{kind=\"tls\",service=\"untrusted\"\\} [1-9]");
    }

    @Test
    void aCaFileThatIsNotPemIsRefusedAtItsLine() throws Exception {
        Files.writeString(dir.resolve("not-pem"), "hello\n");
        String yaml = """
                cluster: test
                sites:
                  - {name: kyiv, address: 127.0.1.1, raft_port: 7101, api_port: 7111}
                gateway:
                  services:
                    - name: web
                      mode: active-active
                      upstream_tls: {ca_file: not-pem, server_name: "bad name"}
                      instances: [{site: kyiv, address: "127.0.1.1:8000"}]
                """;
        ConfigLoader.Result r = ConfigLoader.parse("test.yaml", yaml, dir);
        assertThat(r.problems()).hasSize(2).allSatisfy(p -> assertThat(p.location().line()).isEqualTo(8))
                .anySatisfy(p -> assertThat(p.message()).contains("not-pem", "is not a PEM file"))
                .anySatisfy(p -> assertThat(p.message()).contains("server_name 'bad name'", "not a host name"));
    }
}
