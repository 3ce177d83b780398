package io.tandem.model.config;

import java.time.Duration;

/** Active health checks of a service's instances ({@code gateway.services[].health_check}). */
public record HealthCheckConfig(HealthCheckType type, String path, Duration interval, Duration timeout, int rise, int fall) {}
