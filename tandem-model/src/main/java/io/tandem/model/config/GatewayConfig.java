package io.tandem.model.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The gateway section of tandem.yaml: where the gateway listens, its timeouts and limits, and the services,
 * HTTP routes and TCP listeners it serves. Present with defaults and no routes when the file has no gateway.
 */
public record GatewayConfig(String listenAddress, int httpPort, int adminPort, Duration holdMax, int holdQueue,
                            Duration pollInterval, Duration pollTimeout, Duration connectTimeout, Duration headerTimeout,
                            Duration idleTimeout, Duration tunnelIdleTimeout, Duration upstreamTimeout, DataSize maxRequestLine, DataSize maxHeaderSize,
                            Duration ejectFor, boolean accessLog,
                            List<ServiceConfig> services, List<RouteConfig> routes, List<TcpListenerConfig> tcpListeners, boolean inAgents,
                            Optional<TlsConfig> tls) {
    public GatewayConfig {
        services = List.copyOf(services);
        routes = List.copyOf(routes);
        tcpListeners = List.copyOf(tcpListeners);
    }

    /** Every setting at its default, and nothing to serve. */
    public static GatewayConfig defaults() {
        return new GatewayConfig(ConfigKeys.GW_LISTEN_ADDRESS.defaultValue(), ConfigKeys.GW_HTTP_PORT.defaultValue(),
                ConfigKeys.GW_ADMIN_PORT.defaultValue(), ConfigKeys.GW_HOLD_MAX.defaultValue(), ConfigKeys.GW_HOLD_QUEUE.defaultValue(),
                ConfigKeys.GW_POLL_INTERVAL.defaultValue(), ConfigKeys.GW_POLL_TIMEOUT.defaultValue(),
                ConfigKeys.GW_CONNECT_TIMEOUT.defaultValue(), ConfigKeys.GW_HEADER_TIMEOUT.defaultValue(),
                ConfigKeys.GW_IDLE_TIMEOUT.defaultValue(), ConfigKeys.GW_TUNNEL_IDLE_TIMEOUT.defaultValue(), ConfigKeys.GW_UPSTREAM_TIMEOUT.defaultValue(),
                ConfigKeys.GW_MAX_REQUEST_LINE.defaultValue(), ConfigKeys.GW_MAX_HEADER_SIZE.defaultValue(),
                ConfigKeys.GW_EJECT_FOR.defaultValue(), ConfigKeys.GW_ACCESS_LOG.defaultValue(), List.of(), List.of(), List.of(),
                ConfigKeys.GW_IN_AGENTS.defaultValue(), Optional.empty());
    }

    /** The same gateway listening on another address (a site's, when it runs inside that site's agent). */
    public GatewayConfig withListenAddress(String address) {
        return new GatewayConfig(address, httpPort, adminPort, holdMax, holdQueue, pollInterval, pollTimeout, connectTimeout, headerTimeout,
                idleTimeout, tunnelIdleTimeout, upstreamTimeout, maxRequestLine, maxHeaderSize, ejectFor, accessLog, services, routes, tcpListeners, inAgents, tls);
    }

    /** The HTTPS port, 0 without TLS. */
    public int tlsPort() {
        return tls.map(TlsConfig::port).orElse(0);
    }

    /** Whether there is anything to serve: at least one route or TCP listener. */
    public boolean enabled() {
        return !routes.isEmpty() || !tcpListeners.isEmpty();
    }

    public Optional<ServiceConfig> service(String name) {
        return services.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
