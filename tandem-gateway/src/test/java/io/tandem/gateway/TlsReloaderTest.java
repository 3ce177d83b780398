package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.tandem.model.config.TlsConfig;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A renewal tool replaces the certificate and then the key. Whenever the reloader looks meanwhile, the context it
 * keeps must pair a certificate with its own key: it once checked the files after building the context from them, so a
 * key replaced in between left the new certificate with the old key, and every new handshake failed (CI, TlsTest).
 */
class TlsReloaderTest {
    @TempDir
    Path dir;

    @Test
    void aPairReplacedOneFileAtATimeNeverYieldsAContextWhoseKeyDoesNotFit() throws Exception {
        SelfSignedCertificate a = new SelfSignedCertificate("localhost");
        SelfSignedCertificate b = new SelfSignedCertificate("localhost");
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Files.copy(a.certificate().toPath(), cert);
        Files.copy(a.privateKey().toPath(), key);
        TlsReloader reloader = TlsReloader.server(new TlsConfig(0, cert, key, Duration.ZERO, null), "test");

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailed = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().name("renewal-tool").start(() -> {
            try {
                for (int i = 0; i < 2000 && !stop.get(); i++) {
                    SelfSignedCertificate next = i % 2 == 0 ? b : a;
                    TestCerts.replace(cert, next.certificate().toPath());
                    TestCerts.replace(key, next.privateKey().toPath());
                }
            } catch (Exception e) {
                writerFailed.set(e);
            }
        });
        int handshakes = 0;
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        try {
            while (writer.isAlive() && System.nanoTime() < end) {
                reloader.check();
                X509Certificate served = handshake(reloader);
                assertThat(served.getSerialNumber()).isIn(a.cert().getSerialNumber(), b.cert().getSerialNumber());
                handshakes++;
            }
        } finally {
            stop.set(true);
            writer.join();
            a.delete();
            b.delete();
        }
        assertThat(writerFailed.get()).isNull();
        assertThat(handshakes).as("handshakes while the files changed").isGreaterThan(20);
    }

    /** A complete TLS handshake in memory against the reloader's current context; returns the certificate it served. */
    private static X509Certificate handshake(TlsReloader reloader) throws Exception {
        SSLEngine server = reloader.current().newEngine(ByteBufAllocator.DEFAULT);
        SSLContext trustAll = SSLContext.getInstance("TLS");
        trustAll.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String t) {}

            public void checkServerTrusted(X509Certificate[] c, String t) {}

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        SSLEngine client = trustAll.createSSLEngine("localhost", 443);
        client.setUseClientMode(true);
        int size = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize()) * 2;
        ByteBuffer toServer = ByteBuffer.allocate(size);
        ByteBuffer toClient = ByteBuffer.allocate(size);
        ByteBuffer app = ByteBuffer.allocate(size);
        ByteBuffer empty = ByteBuffer.allocate(0);
        client.beginHandshake();
        server.beginHandshake();
        try {
            for (int step = 0; step < 200; step++) {
                if (done(client) && done(server)) {
                    return (X509Certificate) client.getSession().getPeerCertificates()[0];
                }
                pump(client, empty, toServer, toClient, app);
                pump(server, empty, toClient, toServer, app);
            }
            throw new AssertionError("the handshake did not finish");
        } catch (SSLException e) {
            throw new AssertionError("a handshake with the reloaded certificate and key failed: " + e.getMessage(), e);
        } finally {
            server.closeOutbound();
            client.closeOutbound();
        }
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus s = e.getHandshakeStatus();
        return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
    }

    /** One turn of {@code e}: runs its tasks, reads what the other side sent ({@code in}), writes what it has ({@code out}). */
    private static void pump(SSLEngine e, ByteBuffer empty, ByteBuffer out, ByteBuffer in, ByteBuffer app) throws SSLException {
        for (int i = 0; i < 8; i++) {
            HandshakeStatus s = e.getHandshakeStatus();
            if (s == HandshakeStatus.NEED_TASK) {
                Runnable t;
                while ((t = e.getDelegatedTask()) != null) t.run();
            } else if (s == HandshakeStatus.NEED_WRAP) {
                e.wrap(empty, out);
            } else if (s == HandshakeStatus.NEED_UNWRAP || s == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                in.flip();
                var r = e.unwrap(in, app);
                in.compact();
                app.clear();
                if (r.getStatus() == javax.net.ssl.SSLEngineResult.Status.BUFFER_UNDERFLOW) return;
            } else {
                return;
            }
        }
    }
}
