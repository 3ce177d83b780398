package io.tandem.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The gateway's Prometheus metrics. Meters are looked up once per route and status and cached, so the
 * request path costs a map read and an add.
 */
final class GatewayMetrics {
    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, RouteMeters> routes = new ConcurrentHashMap<>();
    private final Map<String, Counter> upstreamErrors = new ConcurrentHashMap<>();
    private final Map<String, Counter> tcpConnections = new ConcurrentHashMap<>();

    /** Meters of one route (or of "none" for requests no route matched). */
    final class RouteMeters {
        private final String route;
        /** Index status - 100 (100-599); filled lazily, racing fills register the same meter. */
        private final java.util.concurrent.atomic.AtomicReferenceArray<Counter> byStatus = new java.util.concurrent.atomic.AtomicReferenceArray<>(500);
        private final Timer latency;

        RouteMeters(String route) {
            this.route = route;
            this.latency = Timer.builder("tandem.gateway.request.duration").description("Time from request header to the end of the response")
                    .tag("route", route).serviceLevelObjectives(BUCKETS).register(registry);
        }

        void record(int status, long nanos) {
            int i = status >= 100 && status < 600 ? status - 100 : -1;
            Counter c = i < 0 ? null : byStatus.get(i);
            if (c == null) {
                c = Counter.builder("tandem.gateway.requests").description("HTTP requests by route and status")
                        .tag("route", route).tag("status", Integer.toString(status)).register(registry);
                if (i >= 0) byStatus.set(i, c);
            }
            c.increment();
            latency.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    RouteMeters route(String label) {
        return routes.computeIfAbsent(label, RouteMeters::new);
    }

    void upstreamError(String service, String kind) {
        upstreamErrors.computeIfAbsent(service + " " + kind, k -> Counter.builder("tandem.gateway.upstream.errors")
                .description("Failed upstream connections and exchanges by service and kind")
                .tag("service", service).tag("kind", kind).register(registry)).increment();
    }

    void tcpConnection(String listener) {
        tcpConnections.computeIfAbsent(listener, k -> Counter.builder("tandem.gateway.tcp.connections")
                .description("TCP connections accepted by listener").tag("listener", listener).register(registry)).increment();
    }

    void gauge(String name, String description, Supplier<Number> value, String... tags) {
        Gauge.builder(name, value).description(description).tags(tags).register(registry);
    }

    String scrape() {
        return registry.scrape();
    }
}
