package io.tandem.model.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * HTTPS from the gateway to a service's instances ({@code gateway.services[].upstream_tls}): the certificate each
 * instance presents is checked against {@code caFile} (null: the JVM's default trust store) for the name
 * {@code serverName} ("" : the instance's host), which is also sent as SNI. With {@code certFile} and {@code keyFile}
 * (both or neither; null: none) the gateway presents that client certificate to instances that ask for one, and loads
 * the pair again when the files change, looked at every {@code reloadCheck} (zero: never).
 */
public record UpstreamTlsConfig(Path caFile, String serverName, Path certFile, Path keyFile, Duration reloadCheck) {
    public boolean hasClientCertificate() {
        return certFile != null;
    }
}
