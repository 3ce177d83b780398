package io.tandem.gateway;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.tandem.model.config.TlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS listener's certificate and key, reloaded without a restart: the files are looked at every
 * {@code reload_check}; a changed pair that loads is used for every new connection (open ones keep theirs), a pair
 * that does not load (half-written, mismatched, expired chain) is refused and the one in use stays, with the reason in
 * the log and in GET /v1/gateway.
 */
final class TlsReloader {
    private static final Logger log = LoggerFactory.getLogger(TlsReloader.class);

    private final TlsConfig tls;
    private final String source;
    private volatile SslContext current;
    private volatile Instant notAfter;
    private volatile Instant loadedAt;
    private volatile String lastError = "";
    private String seen;
    private ScheduledFuture<?> task;

    /** Loads the pair now; throws {@link IllegalStateException} saying why when it does not load. */
    TlsReloader(TlsConfig tls, String source) {
        this.tls = tls;
        this.source = source;
        this.seen = fingerprint();
        try {
            load();
        } catch (IOException | RuntimeException | CertificateException e) {
            throw new IllegalStateException("cannot use the TLS certificate " + tls.certFile() + " with the key " + tls.keyFile() + ": "
                    + e.getMessage() + " (the key must be an unencrypted PKCS#8 PEM that matches the certificate; see gateway.tls in "
                    + source + ")", e);
        }
    }

    SslContext current() {
        return current;
    }

    void start(EventLoopGroup group) {
        long ms = tls.reloadCheck().toMillis();
        if (ms > 0) task = group.next().scheduleWithFixedDelay(this::check, ms, ms, TimeUnit.MILLISECONDS);
    }

    void close() {
        if (task != null) task.cancel(false);
    }

    /** Loads the pair again when either file changed since the last look. */
    void check() {
        String now = fingerprint();
        if (now.equals(seen)) return;
        seen = now;
        try {
            load();
            lastError = "";
            log.info("event=tls_reloaded cert={} key={} not_after={}", tls.certFile(), tls.keyFile(), notAfter);
        } catch (IOException | RuntimeException | CertificateException e) {
            lastError = Instant.now() + ": " + e.getMessage();
            log.warn("event=tls_reload_refused cert={} key={} error=\"{}\" msg=\"the certificate loaded at {} stays in use; fix the files "
                    + "(an unencrypted PKCS#8 key matching the certificate, see gateway.tls in {})\"", tls.certFile(), tls.keyFile(),
                    e.getMessage(), loadedAt, source);
        }
    }

    private void load() throws IOException, CertificateException {
        // Each file is read once, and the bytes checked are the bytes used: a renewal that replaces the certificate
        // and then the key must never pair the new certificate with the old key, even when it lands between reads
        // (CI: every new handshake then failed with "Invalid CertificateVerify signature" until the next check).
        byte[] certPem = Files.readAllBytes(tls.certFile());
        byte[] keyPem = Files.readAllBytes(tls.keyFile());
        SslContextBuilder b = SslContextBuilder.forServer(new java.io.ByteArrayInputStream(certPem), new java.io.ByteArrayInputStream(keyPem));
        if (tls.clientCaFile() != null) {
            b.trustManager(tls.clientCaFile().toFile()).clientAuth(io.netty.handler.ssl.ClientAuth.REQUIRE);
        }
        SslContext ctx = b.build();
        X509Certificate leaf;
        try (InputStream in = new java.io.ByteArrayInputStream(certPem)) {
            leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        leaf.checkValidity(); // an expired or not yet valid certificate never replaces the one in use
        checkKeyFits(leaf, tls.keyFile(), new String(keyPem, java.nio.charset.StandardCharsets.US_ASCII));
        notAfter = leaf.getNotAfter().toInstant();
        loadedAt = Instant.now();
        current = ctx;
    }

    /**
     * The private key must belong to the certificate (the TLS library only finds out at the first handshake, when
     * every client would fail): a challenge signed with the key is verified with the certificate's public key.
     */
    static void checkKeyFits(X509Certificate cert, Path keyFile, String pem) {
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(keyFile + " holds no unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----)");
        }
        byte[] der = java.util.Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
        String alg = cert.getPublicKey().getAlgorithm();
        try {
            java.security.PrivateKey key = java.security.KeyFactory.getInstance(alg).generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
            String sigAlg = switch (alg) {
                case "RSA" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                default -> alg; // Ed25519, Ed448
            };
            byte[] challenge = new byte[32];
            new java.security.SecureRandom().nextBytes(challenge);
            java.security.Signature sign = java.security.Signature.getInstance(sigAlg);
            sign.initSign(key);
            sign.update(challenge);
            byte[] signature = sign.sign();
            java.security.Signature verify = java.security.Signature.getInstance(sigAlg);
            verify.initVerify(cert.getPublicKey());
            verify.update(challenge);
            if (!verify.verify(signature)) {
                throw new IllegalArgumentException("the key in " + keyFile + " does not belong to the certificate (" + cert.getSubjectX500Principal() + ")");
            }
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalArgumentException("the key in " + keyFile + " does not fit the certificate's " + alg + " public key: " + e.getMessage(), e);
        }
    }

    /** Size and modification time of the files: a rewrite or a rename over them changes it. */
    private String fingerprint() {
        return stamp(tls.certFile()) + "|" + stamp(tls.keyFile()) + (tls.clientCaFile() == null ? "" : "|" + stamp(tls.clientCaFile()));
    }

    private static String stamp(Path p) {
        try {
            java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
            return a.size() + "@" + a.lastModifiedTime().toMillis() + "#" + a.fileKey();
        } catch (IOException e) {
            return "missing";
        }
    }

    /** Seconds until the certificate in use expires (negative once it has). */
    double expirySeconds() {
        Instant n = notAfter;
        return n == null ? 0 : (n.toEpochMilli() - System.currentTimeMillis()) / 1000.0;
    }

    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("port", tls.port());
        m.put("certFile", tls.certFile().toString());
        m.put("keyFile", tls.keyFile().toString());
        m.put("clientCaFile", tls.clientCaFile() == null ? "" : tls.clientCaFile().toString());
        m.put("notAfter", String.valueOf(notAfter));
        m.put("loadedAt", String.valueOf(loadedAt));
        m.put("lastReloadError", lastError);
        return m;
    }
}
