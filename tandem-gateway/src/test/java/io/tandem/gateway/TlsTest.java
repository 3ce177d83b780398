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
    private int httpPort;

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
        return config(certFile, keyFile, "");
    }

    private TandemConfig config(String certFile, String keyFile, String moreTls) throws java.io.IOException {
        httpPort = GatewayFixture.freePort();
        return GatewayFixture.config(false, httpPort, GatewayFixture.freePort(), """
                header_timeout: 1s
                access_log: false
                tls: {port: %d, cert_file: %s, key_file: %s, reload_check: 100ms%s}
                services:
                  - {name: web, mode: active-active, instances: [{site: kyiv, address: "%s"}]}
                routes:
                  - {path_prefix: /, service: web}
                """.formatted(tlsPort, certFile, keyFile, moreTls, upstream.address()), dir);
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
        SelfSignedCertificate other = new SelfSignedCertificate("localhost");
        Files.copy(other.privateKey().toPath(), dir.resolve("other-key.pem"));
        assertThatThrownBy(() -> Gateway.start(config("cert.pem", "other-key.pem"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not belong to the certificate");
        other.delete();
    }

    @Test
    void aRenewedCertificateServesNewConnectionsWhileOpenOnesGoOnAndABadPairIsRefused() throws Exception {
        assertThat(presentedSerial()).isEqualTo(cert.cert().getSerialNumber());
        SelfSignedCertificate renewed = new SelfSignedCertificate("localhost");
        SelfSignedCertificate other = new SelfSignedCertificate("localhost");
        try (javax.net.ssl.SSLSocket open = (javax.net.ssl.SSLSocket) trustAll().getSocketFactory().createSocket("127.0.0.1", tlsPort)) {
            open.setSoTimeout(5000);
            open.startHandshake(); // with the first certificate, before the renewal

            replace("cert.pem", renewed.certificate().toPath());
            replace("key.pem", renewed.privateKey().toPath());
            org.awaitility.Awaitility.await("the renewed certificate serves new connections").atMost(Duration.ofSeconds(5))
                    .until(() -> presentedSerial().equals(renewed.cert().getSerialNumber()));
            assertThat(tlsView()).containsEntry("lastReloadError", "")
                    .containsEntry("notAfter", renewed.cert().getNotAfter().toInstant().toString());

            open.getOutputStream().write("GET /still-open HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String head = new String(open.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(head).as("a connection opened before the renewal goes on").isEqualTo("HTTP/1.1 200");
        }

        replace("key.pem", other.privateKey().toPath()); // a key that does not match the certificate
        org.awaitility.Awaitility.await("the mismatched pair is refused").atMost(Duration.ofSeconds(5))
                .until(() -> !tlsView().get("lastReloadError").equals(""));
        assertThat(presentedSerial()).as("the pair in use stays").isEqualTo(renewed.cert().getSerialNumber());
        assertThat(upstream.seen).extracting(TestUpstream.Seen::path).contains("/still-open");
        renewed.delete();
        other.delete();
    }

    @SuppressWarnings("unchecked")
    private java.util.Map<String, Object> tlsView() {
        return (java.util.Map<String, Object>) gateway.describe().get("tls");
    }

    /** Writes {@code from} over the file {@code name} as a certificate renewal tool does: a new file renamed into place. */
    private void replace(String name, Path from) throws Exception {
        TestCerts.replace(dir.resolve(name), from);
    }

    /** The serial number of the certificate the gateway presents to a new connection. */
    private java.math.BigInteger presentedSerial() throws Exception {
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) trustAll().getSocketFactory().createSocket("127.0.0.1", tlsPort)) {
            s.setSoTimeout(5000);
            s.startHandshake();
            return ((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    private static SSLContext trustAll() throws Exception {
        javax.net.ssl.X509TrustManager all = new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
            }

            @Override
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        };
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new javax.net.ssl.TrustManager[] {all}, null);
        return ssl;
    }

    @Test
    void withClientCaFileOnlyClientsWithSuchACertificateGetThroughAndTheUpstreamLearnsWhoTheyAre() throws Exception {
        SelfSignedCertificate clientCert = new SelfSignedCertificate("client.example"); // its own CA
        Files.copy(clientCert.certificate().toPath(), dir.resolve("clients-ca.pem"));
        gateway.close();
        tlsPort = GatewayFixture.freePort();
        gateway = Gateway.start(config("cert.pem", "key.pem", ", client_ca_file: clients-ca.pem"));

        HttpClient anonymous = trusting();
        assertThatThrownBy(() -> anonymous.send(HttpRequest.newBuilder(URI.create("https://localhost:" + tlsPort + "/anonymous"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
        anonymous.shutdownNow();

        SSLContext mutual = TestCerts.context(clientCert, cert);
        HttpClient known = HttpClient.newBuilder().sslContext(mutual).connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> r = known.send(HttpRequest.newBuilder(URI.create("https://localhost:" + tlsPort + "/known"))
                .header("X-Client-Cert-Subject", "CN=admin").timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        known.shutdownNow();

        // plain HTTP cannot claim a certificate either
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        assertThat(plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/plain")).header("X-Client-Cert-Subject", "CN=admin")
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        plain.shutdownNow();

        assertThat(upstream.seen).extracting(TestUpstream.Seen::path).containsExactly("/known", "/plain");
        assertThat(upstream.seen.get(0).header("X-Client-Cert-Subject")).isEqualTo("CN=client.example");
        assertThat(upstream.seen.get(1).header("X-Client-Cert-Subject")).as("a client's own header is dropped").isNull();
        clientCert.delete();
    }
}
