package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.tandem.model.config.ConfigLoader;
import io.tandem.model.config.TandemConfig;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS termination from PEM files: HTTPS in, plain HTTP to the upstream with X-Forwarded-Proto: https. */
class TlsTest {
    @TempDir
    Path dir;

    private SelfSignedCertificate cert;
    private TestUpstream upstream;
    private Gateway gateway;
    private int tlsPort;

    @BeforeEach
    void start() throws Exception {
        cert = new SelfSignedCertificate("localhost");
        Files.copy(cert.certificate().toPath(), dir.resolve("cert.pem"));
        Files.copy(cert.privateKey().toPath(), dir.resolve("key.pem"));
        upstream = new TestUpstream("kyiv", "127.0.1.1");
        tlsPort = GatewayFixture.freePort();
        gateway = Gateway.start(config("cert.pem", "key.pem"));
    }

    private TandemConfig config(String certFile, String keyFile) throws java.io.IOException {
        return GatewayFixture.config(false, GatewayFixture.freePort(), GatewayFixture.freePort(), """
                header_timeout: 1s
                access_log: false
                tls: {port: %d, cert_file: %s, key_file: %s}
                services:
                  - {name: web, mode: active-active, instances: [{site: kyiv, address: "%s"}]}
                routes:
                  - {path_prefix: /, service: web}
                """.formatted(tlsPort, certFile, keyFile, upstream.address()), dir);
    }

    @AfterEach
    void stop() {
        if (gateway != null) gateway.close();
        upstream.close();
        cert.delete();
    }

    private HttpClient trusting() throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("gateway", cert.cert());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(2)).build();
    }

    @Test
    void httpsIsEndedAtTheGatewayAndTheUpstreamIsToldSo() throws Exception {
        HttpClient client = trusting();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + tlsPort + "/hello")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("kyiv ");
        assertThat(upstream.seen).last().satisfies(s -> {
            assertThat(s.header("X-Forwarded-Proto")).isEqualTo("https");
            assertThat(s.path()).isEqualTo("/hello");
        });
        client.shutdownNow();
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateIsRefusedAndNothingIsForwarded() {
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("https://localhost:" + tlsPort + "/x")).build(),
                HttpResponse.BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
        assertThat(upstream.seen).isEmpty();
        plain.shutdownNow();
    }

    @Test
    void plainHttpOnTheTlsPortAndAStalledHandshakeAreClosed() throws Exception {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), tlsPort)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] all = in.readAllBytes(); // the gateway closes: not a TLS record
            assertThat(new String(all, StandardCharsets.ISO_8859_1)).doesNotContain("kyiv");
        }
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), tlsPort)) {
            s.setSoTimeout(5000);
            long t0 = System.nanoTime();
            assertThat(s.getInputStream().read()).as("closed after header_timeout (1 s) without a handshake").isEqualTo(-1);
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5000);
        }
        assertThat(upstream.seen).isEmpty();
    }

    @Test
    void aKeyThatIsNotPemIsRefusedAtItsLineAndABadPairAtStart() throws Exception {
        Files.writeString(dir.resolve("bad.key"), "not a key\n");
        String yaml = """
                cluster: test
                sites:
                  - {name: kyiv, address: 127.0.1.1, raft_port: 7101, api_port: 7111}
                gateway:
                  tls:
                    port: 8443
                    cert_file: cert.pem
                    key_file: bad.key
                """;
        ConfigLoader.Result r = ConfigLoader.parse("test.yaml", yaml, dir);
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).contains("key_file", "bad.key", "is not a PEM file");
            assertThat(p.location().line()).isEqualTo(8);
        });
        // a PEM that is not a key: the config loads, the gateway says at start what is wrong
        gateway.close();
        gateway = null;
        int before = tlsPort;
        tlsPort = GatewayFixture.freePort();
        assertThatThrownBy(() -> Gateway.start(config("cert.pem", "cert.pem"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot use the TLS certificate").hasMessageContaining("PKCS#8");
        assertThat(before).isNotZero();
    }
}
