package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * upstream_tls with cert_file and key_file: the gateway presents a client certificate to instances that require one
 * (mutual TLS), and takes a renewed pair without a restart; a service without one gets nothing through.
 */
class UpstreamClientCertTest {
    @TempDir
    Path dir;

    private SelfSignedCertificate server;
    private SelfSignedCertificate clientA;
    private SelfSignedCertificate clientB;
    private SelfSignedCertificate stranger;
    private TestUpstream upstream;
    private Gateway gateway;
    private int httpPort;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeEach
    void start() throws Exception {
        server = new SelfSignedCertificate("localhost");
        clientA = new SelfSignedCertificate("gateway-a.internal");
        clientB = new SelfSignedCertificate("gateway-b.internal");
        stranger = new SelfSignedCertificate("stranger.internal");
        Files.copy(server.certificate().toPath(), dir.resolve("ca.pem"));
        Files.copy(clientA.certificate().toPath(), dir.resolve("client.pem"));
        Files.copy(clientA.privateKey().toPath(), dir.resolve("client.key"));
        Files.copy(stranger.certificate().toPath(), dir.resolve("stranger.pem"));
        Files.copy(stranger.privateKey().toPath(), dir.resolve("stranger.key"));
        // the instance requires a client certificate and trusts A and B (the gateway's current and renewed ones), not the stranger
        upstream = new TestUpstream("kyiv", "127.0.1.1", TestCerts.context(server, clientA, clientB), true);
        upstream.responseHeaders.put("Connection", "close"); // every request on a new connection, so a renewed pair shows at once
        httpPort = GatewayFixture.freePort();
        gateway = Gateway.start(GatewayFixture.config(false, httpPort, GatewayFixture.freePort(), """
                access_log: false
                services:
                  - name: mtls
                    mode: active-active
                    upstream_tls: {ca_file: ca.pem, server_name: localhost, cert_file: client.pem, key_file: client.key, reload_check: 100ms}
                    instances: [{site: kyiv, address: "%1$s"}]
                  - name: nocert
                    mode: active-active
                    upstream_tls: {ca_file: ca.pem, server_name: localhost}
                    instances: [{site: kyiv, address: "%1$s"}]
                  - name: untrusted
                    mode: active-active
                    upstream_tls: {ca_file: ca.pem, server_name: localhost, cert_file: stranger.pem, key_file: stranger.key}
                    instances: [{site: kyiv, address: "%1$s"}]
                routes:
                  - {path_prefix: /mtls/, service: mtls}
                  - {path_prefix: /nocert/, service: nocert}
                  - {path_prefix: /untrusted/, service: untrusted}
                """.formatted(upstream.address()), dir));
    }

    @AfterEach
    void stop() {
        if (gateway != null) gateway.close();
        upstream.close();
        client.shutdownNow();
        for (SelfSignedCertificate c : List.of(server, clientA, clientB, stranger)) c.delete();
    }

    private int get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> clientCertificate(String service) {
        return ((List<Map<String, Object>>) gateway.describe().get("services")).stream().filter(s -> s.get("name").equals(service))
                .findFirst().map(s -> (Map<String, Object>) s.get("clientCertificate")).orElseThrow();
    }

    @Test
    void anInstanceThatRequiresAClientCertificateGetsTheGatewaysAndOthersGetNothing() throws Exception {
        assertThat(get("/mtls/a")).isEqualTo(200);
        assertThat(upstream.clientSubjects).containsExactly("CN=gateway-a.internal");

        assertThat(get("/nocert/b")).as("no client certificate: the instance ends the handshake").isEqualTo(502);
        assertThat(get("/untrusted/c")).as("a certificate the instance does not trust").isEqualTo(502);
        assertThat(upstream.seen).extracting(TestUpstream.Seen::path).containsExactly("/mtls/a");
        assertThat(clientCertificate("mtls")).containsEntry("lastReloadError", "").containsKey("notAfter")
                .containsEntry("certFile", dir.resolve("client.pem").toString());
    }

    @Test
    void aRenewedPairIsUsedWithoutARestartAndAPairThatDoesNotFitIsRefused() throws Exception {
        assertThat(get("/mtls/before")).isEqualTo(200);
        Object firstLoad = clientCertificate("mtls").get("loadedAt");

        // a renewal tool replaces the certificate, then the key
        TestCerts.replace(dir.resolve("client.pem"), clientB.certificate().toPath());
        TestCerts.replace(dir.resolve("client.key"), clientB.privateKey().toPath());
        await("the renewed pair is loaded").atMost(Duration.ofSeconds(10))
                .until(() -> !clientCertificate("mtls").get("loadedAt").equals(firstLoad) && clientCertificate("mtls").get("lastReloadError").equals(""));
        assertThat(get("/mtls/after")).isEqualTo(200);
        assertThat(upstream.clientSubjects).last().isEqualTo("CN=gateway-b.internal");

        // a certificate with a key of another: refused, the pair in use stays
        TestCerts.replace(dir.resolve("client.pem"), clientA.certificate().toPath());
        await("the mismatched pair is refused").atMost(Duration.ofSeconds(10))
                .until(() -> String.valueOf(clientCertificate("mtls").get("lastReloadError")).contains("does not belong to the certificate"));
        assertThat(get("/mtls/still")).isEqualTo(200);
        assertThat(upstream.clientSubjects).last().isEqualTo("CN=gateway-b.internal");
    }

    @Test
    void aKeyThatDoesNotFitTheCertificateStopsTheGatewayAtStartWithTheFiles() throws Exception {
        Files.copy(clientB.privateKey().toPath(), dir.resolve("other.key"));
        var config = GatewayFixture.config(false, GatewayFixture.freePort(), GatewayFixture.freePort(), """
                services:
                  - name: web
                    mode: active-active
                    upstream_tls: {cert_file: client.pem, key_file: other.key}
                    instances: [{site: kyiv, address: "127.0.1.1:8000"}]
                """, dir);
        assertThatThrownBy(() -> Gateway.start(config)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("client certificate of service 'web'").hasMessageContaining("other.key")
                .hasMessageContaining("does not belong to the certificate");
    }

    @Test
    void aCertificateWithoutItsKeyIsRefusedAtItsLine() throws Exception {
        String yaml = """
                cluster: test
                sites:
                  - {name: kyiv, address: 127.0.1.1, raft_port: 7101, api_port: 7111}
                gateway:
                  services:
                    - name: web
                      mode: active-active
                      upstream_tls:
                        cert_file: client.pem
                        reload_check: 10ms
                      instances: [{site: kyiv, address: "127.0.1.1:8000"}]
                """;
        ConfigLoader.Result r = ConfigLoader.parse("test.yaml", yaml, dir);
        assertThat(r.problems()).hasSize(2)
                .anySatisfy(p -> {
                    assertThat(p.location().line()).isEqualTo(9);
                    assertThat(p.message()).contains("has cert_file but no key_file");
                })
                .anySatisfy(p -> {
                    assertThat(p.location().line()).isEqualTo(10);
                    assertThat(p.message()).contains("reload_check 10ms is below 100ms");
                });
    }
}
