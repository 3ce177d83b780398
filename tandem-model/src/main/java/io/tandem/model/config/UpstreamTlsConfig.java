package io.tandem.model.config;

import java.nio.file.Path;

/**
 * HTTPS from the gateway to a service's instances ({@code gateway.services[].upstream_tls}): the certificate each
 * instance presents is checked against {@code caFile} (null: the JVM's default trust store) for the name
 * {@code serverName} ("" : the instance's host), which is also sent as SNI.
 */
public record UpstreamTlsConfig(Path caFile, String serverName) {}
