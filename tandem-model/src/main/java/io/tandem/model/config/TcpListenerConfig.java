package io.tandem.model.config;

/** A TCP port on the gateway whose connections are relayed, byte for byte, to an instance of {@code service}. */
public record TcpListenerConfig(String name, int port, String service, Location location) {}
