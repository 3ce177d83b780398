package io.tandem.model.config;

import java.util.List;
import java.util.Optional;

/**
 * A service behind the gateway: its upstream instances per site and how traffic is spread over them.
 * {@code resource} is the replicated resource whose primary decides where an active-passive service runs;
 * empty for active-active services. {@code healthCheck}: active checks, if configured; {@code ejectAfter5xx}:
 * consecutive 5xx answers that eject an instance (0: never); {@code stickyCookie}: the cookie that keeps a client on one
 * instance ("" for none); {@code upstreamTls}: HTTPS to the instances, if configured.
 */
public record ServiceConfig(String name, ServiceMode mode, String resource, List<InstanceConfig> instances, Optional<HealthCheckConfig> healthCheck,
                            int ejectAfter5xx, String stickyCookie, Optional<UpstreamTlsConfig> upstreamTls, Location location) {
    public ServiceConfig {
        instances = List.copyOf(instances);
    }

    public Optional<String> resourceName() {
        return resource.isEmpty() ? Optional.empty() : Optional.of(resource);
    }
}
