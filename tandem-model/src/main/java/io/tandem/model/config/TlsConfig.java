package io.tandem.model.config;

import java.nio.file.Path;

/**
 * TLS termination at the gateway ({@code gateway.tls}): an HTTPS listener on {@code port} with a PEM certificate chain
 * and key, looked at every {@code reloadCheck} (zero: never) and reloaded when changed; with {@code clientCaFile} (null:
 * none) every client must present a certificate issued by one of those CAs.
 */
public record TlsConfig(int port, Path certFile, Path keyFile, java.time.Duration reloadCheck, Path clientCaFile) {}
