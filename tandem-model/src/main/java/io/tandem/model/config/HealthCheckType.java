package io.tandem.model.config;

/** How the gateway checks an instance: an HTTP GET of a path (2xx/3xx is healthy), or a TCP connect. */
public enum HealthCheckType { HTTP, TCP }
