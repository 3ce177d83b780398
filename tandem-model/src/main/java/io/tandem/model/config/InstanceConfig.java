package io.tandem.model.config;

/** One upstream instance of a gateway service: where it listens and which site it runs at. */
public record InstanceConfig(String site, HostPort address, int weight, Location location) {}
