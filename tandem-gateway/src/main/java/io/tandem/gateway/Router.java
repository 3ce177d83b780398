package io.tandem.gateway;

import io.netty.channel.Channel;
import io.tandem.model.config.GatewayConfig;
import io.tandem.model.config.RouteConfig;
import io.tandem.model.config.ServiceConfig;
import io.tandem.model.config.ServiceMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Matches requests to routes and routes to the current {@link RoutingTable}. When an active-passive
 * service's primary site changes, the TCP connections relayed to the old site are closed, so clients
 * reconnect (through the same gateway address) to the new primary.
 */
final class Router {
    private static final Logger log = LoggerFactory.getLogger(Router.class);

    record Route(RouteConfig config, GatewayMetrics.RouteMeters meters) {}

    /** A relayed TCP connection and the upstream it reaches. */
    record TcpConnection(Channel client, Upstream upstream) {}

    final Route noRoute;
    private final List<Route> routes;
    private final List<ServiceConfig> services;
    private final Map<String, List<Upstream>> upstreams = new LinkedHashMap<>();
    private final Set<TcpConnection> tcp = ConcurrentHashMap.newKeySet();
    private final List<Consumer<RoutingTable>> listeners = new ArrayList<>();
    private volatile RoutingTable table;

    /** Each service's round-robin counter, kept across the tables built for each cluster state. */
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> rounds = new ConcurrentHashMap<>();

    /** Each service's client certificate towards its instances (upstream_tls cert_file), reloaded when renewed. */
    private final Map<String, TlsReloader> clientCerts = new LinkedHashMap<>();

    /** {@code source}: the config file, named in errors. Throws {@link IllegalStateException} when a service's TLS files do not load. */
    Router(GatewayConfig config, GatewayMetrics metrics, String source) {
        this.services = config.services();
        for (ServiceConfig s : services) {
            java.util.function.Supplier<io.netty.handler.ssl.SslContext> tls = s.upstreamTls().map(t -> upstreamTls(s.name(), t, source)).orElse(null);
            String name = s.upstreamTls().map(io.tandem.model.config.UpstreamTlsConfig::serverName).orElse("");
            upstreams.put(s.name(), s.instances().stream().map(i -> new Upstream(s.name(), i, tls, name)).toList());
        }
        // An exact host before '*', then the longest prefix: the first match in this order is the best one.
        this.routes = config.routes().stream()
                .sorted(Comparator.comparing((RouteConfig r) -> r.anyHost()).thenComparing(r -> -r.pathPrefix().length()))
                .map(r -> new Route(r, metrics.route(r.label()))).toList();
        this.noRoute = new Route(new RouteConfig("*", "", "", null), metrics.route("none"));
        this.table = RoutingTable.build(services, upstreams, ClusterSnapshot.empty(), rounds);
    }

    /**
     * The TLS client context of a service with upstream_tls for each new connection: with a client certificate, the one
     * its reloader holds; else a fixed context trusting its CA file (or the JVM's default trust store).
     */
    private java.util.function.Supplier<io.netty.handler.ssl.SslContext> upstreamTls(String service, io.tandem.model.config.UpstreamTlsConfig t, String source) {
        if (t.hasClientCertificate()) {
            TlsReloader r = TlsReloader.upstreamClient(service, t, source);
            clientCerts.put(service, r);
            return r::current;
        }
        try {
            io.netty.handler.ssl.SslContext fixed = TlsReloader.trusting(io.netty.handler.ssl.SslContextBuilder.forClient(), t).build();
            return () -> fixed;
        } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot use upstream_tls ca_file " + t.caFile() + " of service '" + service + "': " + e.getMessage()
                    + " (give the PEM certificates of the CAs that issued the instances' certificates)", e);
        }
    }

    /** The services' client certificates towards their instances, by service, each reloaded when its files change. */
    Map<String, TlsReloader> clientCertificates() {
        return java.util.Collections.unmodifiableMap(clientCerts);
    }

    RoutingTable table() {
        return table;
    }

    Map<String, List<Upstream>> upstreamsByService() {
        return java.util.Collections.unmodifiableMap(upstreams);
    }

    List<Upstream> upstreams() {
        return upstreams.values().stream().flatMap(List::stream).toList();
    }

    List<Route> routes() {
        return routes;
    }

    void onTableChange(Consumer<RoutingTable> listener) {
        listeners.add(listener);
    }

    /**
     * The route for a request, or null. {@code host} is the Host header as sent (may carry a port).
     * Measured-hot: runs per request; routes are few and pre-sorted.
     */
    Route match(String host, String uri) {
        String h = null; // only routes by host need it: no copy of the Host header otherwise
        for (Route r : routes) {
            RouteConfig c = r.config();
            if (!c.anyHost() && h == null) h = host == null ? "" : stripPort(host).toLowerCase(Locale.ROOT);
            if ((c.anyHost() || c.host().equals(h)) && uri.startsWith(c.pathPrefix())) {
                return r;
            }
        }
        return null;
    }

    private static String stripPort(String host) {
        int colon = host.lastIndexOf(':');
        return colon > 0 && host.indexOf(']') < colon ? host.substring(0, colon) : host;
    }

    /** Rebuilds the table from a new snapshot, then closes TCP connections to sites that no longer serve. */
    synchronized void update(ClusterSnapshot snapshot) {
        RoutingTable old = table;
        RoutingTable next = RoutingTable.build(services, upstreams, snapshot, rounds);
        table = next;
        for (ServiceConfig s : services) {
            RoutingTable.Target was = old.target(s.name());
            RoutingTable.Target now = next.target(s.name());
            if (!Objects.equals(was.site(), now.site()) || was.epoch() != now.epoch() || !was.upstreams().equals(now.upstreams())) {
                log.info("event=route_changed service={} site={} epoch={} targets={}{}", s.name(), now.site().isEmpty() ? "-" : now.site(),
                        now.epoch(), now.upstreams().stream().distinct().map(Upstream::label).toList(),
                        now.reason().isEmpty() ? "" : " reason=\"" + now.reason() + "\"");
            }
            if (s.mode() == ServiceMode.ACTIVE_PASSIVE && !was.site().isEmpty() && !was.site().equals(now.site())) {
                closeTcp(s.name(), now);
            }
        }
        listeners.forEach(l -> l.accept(next));
    }

    private void closeTcp(String service, RoutingTable.Target now) {
        int closed = 0;
        for (TcpConnection c : tcp) {
            if (c.upstream().service.equals(service) && !now.upstreams().contains(c.upstream())) {
                c.client().close();
                closed++;
            }
        }
        if (closed > 0) {
            log.info("event=tcp_connections_closed service={} count={} reason=\"primary moved to {} at epoch {}\"", service, closed, now.site(), now.epoch());
        }
    }

    void trackTcp(TcpConnection c) {
        tcp.add(c);
        c.client().closeFuture().addListener(f -> tcp.remove(c));
        // The route may have moved between the pick and this registration.
        if (!table.target(c.upstream().service).upstreams().contains(c.upstream())) {
            c.client().close();
        }
    }

    int tcpConnections() {
        return tcp.size();
    }
}
