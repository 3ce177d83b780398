package io.tandem.gateway;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** TLS pieces the gateway's tests share: a JDK context from test certificates, and a file replaced as renewal tools do it. */
final class TestCerts {
    private TestCerts() {}

    /**
     * A context that presents {@code own} (its certificate and key) and trusts exactly {@code trusted} (each one
     * self-signed, so its own CA); with none given, the JVM's default trust.
     */
    static SSLContext context(SelfSignedCertificate own, SelfSignedCertificate... trusted) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("own", own.key(), new char[0], new java.security.cert.Certificate[] {own.cert()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        TrustManagerFactory tmf = null;
        if (trusted.length > 0) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < trusted.length; i++) trust.setCertificateEntry("trusted" + i, trusted[i].cert());
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
        }
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
        return ssl;
    }

    /** Replaces {@code target} with a copy of {@code from} in one rename, as a renewal tool does. */
    static void replace(Path target, Path from) throws Exception {
        Path tmp = target.resolveSibling(target.getFileName() + ".new");
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
