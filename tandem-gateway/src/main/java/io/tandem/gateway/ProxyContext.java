package io.tandem.gateway;

import io.netty.bootstrap.Bootstrap;
import io.tandem.model.config.GatewayConfig;

/** What every proxied connection shares: settings, the router, the hold gate, metrics and the upstream connector. */
record ProxyContext(GatewayConfig config, Router router, HoldGate hold, GatewayMetrics metrics, Bootstrap upstreams,
                    long headerTimeoutNanos, long idleTimeoutNanos, long upstreamTimeoutNanos, long ejectNanos) {
    ProxyContext(GatewayConfig config, Router router, HoldGate hold, GatewayMetrics metrics, Bootstrap upstreams) {
        this(config, router, hold, metrics, upstreams, config.headerTimeout().toNanos(), config.idleTimeout().toNanos(),
                config.upstreamTimeout().toNanos(), config.ejectFor().toNanos());
    }
}
