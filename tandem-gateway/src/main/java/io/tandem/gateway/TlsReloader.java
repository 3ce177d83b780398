package io.tandem.gateway;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.tandem.model.config.TlsConfig;
import io.tandem.model.config.UpstreamTlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A certificate and key in PEM files, reloaded without a restart: the TLS listener's ({@link #server}) and the client
 * certificate a service's upstream_tls presents to its instances ({@link #upstreamClient}). The files are looked at
 * every reload check; a changed pair that loads is used for every new connection (open ones keep theirs), a pair
 * that does not load (half-written, mismatched, expired) is refused and the one in use stays, with the reason in the
 * log and in GET /v1/gateway.
 */
final class TlsReloader {
    private static final Logger log = LoggerFactory.getLogger(TlsReloader.class);

    /** Makes the context from the bytes of the certificate chain and of the key, as read once. */
    @FunctionalInterface
    interface Builder {
        SslContext build(byte[] certPem, byte[] keyPem) throws IOException;
    }

    /** "tls" for the listener, "upstream_tls_client_cert" for a service's client certificate: the prefix of its log events. */
    private final String event;
    /** Who uses the pair, for log lines and errors: "" for the listener, else "service=NAME". */
    private final String who;
    private final Path certFile;
    private final Path keyFile;
    /** Further files whose change reloads the pair (the listener's client CA file). */
    private final List<Path> alsoWatched;
    private final java.time.Duration reloadCheck;
    /** What to fix, ending the error messages. */
    private final String hint;
    private final Builder builder;
    private final Map<String, Object> fixedDescription;
    private volatile SslContext current;
    private volatile Instant notAfter;
    private volatile Instant loadedAt;
    private volatile String lastError = "";
    private String seen;
    private ScheduledFuture<?> task;

    private TlsReloader(String event, String who, Path certFile, Path keyFile, List<Path> alsoWatched, java.time.Duration reloadCheck,
                        String hint, Builder builder, Map<String, Object> fixedDescription, String what) {
        this.event = event;
        this.who = who;
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.alsoWatched = alsoWatched;
        this.reloadCheck = reloadCheck;
        this.hint = hint;
        this.builder = builder;
        this.fixedDescription = fixedDescription;
        this.seen = fingerprint();
        try {
            load();
        } catch (IOException | RuntimeException | CertificateException e) {
            throw new IllegalStateException("cannot use " + what + " " + certFile + " with the key " + keyFile + ": " + e.getMessage() + " (" + hint + ")", e);
        }
    }

    /** The TLS listener's pair (gateway.tls); loads it now, or throws {@link IllegalStateException} saying why it does not load. */
    static TlsReloader server(TlsConfig tls, String source) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("port", tls.port());
        d.put("certFile", tls.certFile().toString());
        d.put("keyFile", tls.keyFile().toString());
        d.put("clientCaFile", tls.clientCaFile() == null ? "" : tls.clientCaFile().toString());
        return new TlsReloader("tls", "", tls.certFile(), tls.keyFile(), tls.clientCaFile() == null ? List.of() : List.of(tls.clientCaFile()),
                tls.reloadCheck(), "the key must be an unencrypted PKCS#8 PEM that matches the certificate; see gateway.tls in " + source,
                (cert, key) -> {
                    SslContextBuilder b = SslContextBuilder.forServer(new java.io.ByteArrayInputStream(cert), new java.io.ByteArrayInputStream(key));
                    if (tls.clientCaFile() != null) {
                        b.trustManager(tls.clientCaFile().toFile()).clientAuth(io.netty.handler.ssl.ClientAuth.REQUIRE);
                    }
                    return b.build();
                }, d, "the TLS certificate");
    }

    /**
     * The client certificate a service presents to its instances (upstream_tls cert_file and key_file), with the
     * service's trust (ca_file, else the JVM's trust store); loads it now, or throws {@link IllegalStateException}.
     */
    static TlsReloader upstreamClient(String service, UpstreamTlsConfig t, String source) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("certFile", t.certFile().toString());
        d.put("keyFile", t.keyFile().toString());
        return new TlsReloader("upstream_tls_client_cert", "service=" + service + " ", t.certFile(), t.keyFile(), List.of(), t.reloadCheck(),
                "the key must be an unencrypted PKCS#8 PEM that matches the certificate; see upstream_tls of service '" + service + "' in " + source,
                (cert, key) -> trusting(SslContextBuilder.forClient()
                        .keyManager(new java.io.ByteArrayInputStream(cert), new java.io.ByteArrayInputStream(key)), t).build(),
                d, "the client certificate of service '" + service + "'");
    }

    /** {@code b} trusting the service's ca_file, else (none given) the JVM's default trust store. */
    static SslContextBuilder trusting(SslContextBuilder b, UpstreamTlsConfig t) {
        return t.caFile() == null ? b : b.trustManager(t.caFile().toFile());
    }

    SslContext current() {
        return current;
    }

    void start(EventLoopGroup group) {
        long ms = reloadCheck.toMillis();
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
            log.info("event={}_reloaded {}cert={} key={} not_after={}", event, who, certFile, keyFile, notAfter);
        } catch (IOException | RuntimeException | CertificateException e) {
            lastError = Instant.now() + ": " + e.getMessage();
            log.warn("event={}_reload_refused {}cert={} key={} error=\"{}\" msg=\"the certificate loaded at {} stays in use; fix the files ({})\"",
                    event, who, certFile, keyFile, e.getMessage(), loadedAt, hint);
        }
    }

    private void load() throws IOException, CertificateException {
        // Each file is read once, and the bytes checked are the bytes used: a renewal that replaces the certificate
        // and then the key must never pair the new certificate with the old key, even when it lands between reads
        // (CI: every new handshake then failed with "Invalid CertificateVerify signature" until the next check).
        byte[] certPem = Files.readAllBytes(certFile);
        byte[] keyPem = Files.readAllBytes(keyFile);
        SslContext ctx = builder.build(certPem, keyPem);
        X509Certificate leaf;
        try (InputStream in = new java.io.ByteArrayInputStream(certPem)) {
            leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        leaf.checkValidity(); // an expired or not yet valid certificate never replaces the one in use
        checkKeyFits(leaf, keyFile, new String(keyPem, java.nio.charset.StandardCharsets.US_ASCII));
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
        StringBuilder b = new StringBuilder(stamp(certFile)).append('|').append(stamp(keyFile));
        for (Path p : alsoWatched) b.append('|').append(stamp(p));
        return b.toString();
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
        Map<String, Object> m = new LinkedHashMap<>(fixedDescription);
        m.put("notAfter", String.valueOf(notAfter));
        m.put("loadedAt", String.valueOf(loadedAt));
        m.put("lastReloadError", lastError);
        return m;
    }
}
