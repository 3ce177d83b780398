package io.tandem.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.tandem.model.config.GatewayConfig;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.config.TcpListenerConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway: an HTTP reverse proxy, TCP listeners and an admin API, routing from the cluster state it
 * polls from the agents. {@code Gateway.start(config)} binds every listener (or fails naming the one that
 * could not bind); {@link #close()} stops them all.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final TandemConfig config;
    private final GatewayConfig gw;
    private final Transport transport = Transport.best();
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final Router router;
    private final HoldGate hold;
    private final ClusterWatcher watcher;
    private final EventLoopGroup workers;
    private final EventLoopGroup admin;
    private final List<Channel> listeners = new ArrayList<>();
    /**
     * The pooled allocator rather than Netty 4.2's default adaptive one: the adaptive allocator served the proxy's
     * larger receive buffers unpooled (a fresh, zeroed direct buffer each time, 7% of the gateway's CPU in a profile);
     * pooled gave 8-10% more requests/s at 1 KiB and 15-25% at 64 KiB in `tandem bench gateway`, A/B in one run.
     */
    static final io.netty.buffer.ByteBufAllocator ALLOCATOR = io.netty.buffer.PooledByteBufAllocator.DEFAULT;
    private HealthChecker checker;
    private TlsReloader tls;

    private Gateway(TandemConfig config, GatewayConfig gw) {
        this.config = config;
        this.gw = gw;
        this.router = new Router(gw, metrics, config.source());
        this.hold = new HoldGate(gw.holdMax(), gw.holdQueue());
        this.watcher = new ClusterWatcher(config.peers(), gw.pollInterval(), gw.pollTimeout(), s -> {
            router.update(s);
            followSwitchover(s);
        });
        // distinct names in their first 15 characters, which is all of a thread's name that top -H, ps -L and /proc show
        this.workers = transport.group(Runtime.getRuntime().availableProcessors(), "tandem-gw-io", ThreadPriorities.EVENT_LOOP);
        this.admin = transport.group(1, "tandem-gw-admin", ThreadPriorities.HELPER);
    }

    /** Binds the HTTP proxy, the TCP listeners and the admin API, and starts following the cluster state. */
    public static Gateway start(TandemConfig config) {
        return start(config, config.gateway());
    }

    /** As {@link #start(TandemConfig)}, listening on {@code address} instead of listen_address (the gateway role of a site's agent). */
    public static Gateway startOn(TandemConfig config, String address) {
        return start(config, config.gateway().withListenAddress(address));
    }

    private static Gateway start(TandemConfig config, GatewayConfig gw) {
        Gateway g = new Gateway(config, gw);
        try {
            g.bind();
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
        return g;
    }

    private void bind() {
        Bootstrap upstreams = new Bootstrap().group(workers).channel(transport.channel()).option(ChannelOption.ALLOCATOR, ALLOCATOR)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) gw.connectTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true);
        ProxyContext cx = new ProxyContext(gw, router, hold, metrics, upstreams);
        registerGauges();
        listeners.add(listen("http_port", gw.httpPort(), HttpFrontend.initializer(cx), true, workers));
        if (gw.tls().isPresent()) {
            tls = TlsReloader.server(gw.tls().get(), config.source());
            metrics.gauge("tandem.gateway.tls.cert.expiry.seconds", "Seconds until the TLS certificate in use expires", tls::expirySeconds);
            listeners.add(listen("tls.port", gw.tls().get().port(), HttpFrontend.initializer(cx, tls::current), true, workers));
            tls.start(admin);
        }
        router.clientCertificates().forEach((service, r) -> {
            metrics.gauge("tandem.gateway.upstream.client.cert.expiry.seconds",
                    "Seconds until the client certificate a service presents to its instances expires", r::expirySeconds, "service", service);
            r.start(admin);
        });
        for (TcpListenerConfig l : gw.tcpListeners()) {
            listeners.add(listen("TCP listener '" + l.name() + "'", l.port(), TcpProxy.initializer(l, cx), false, workers));
        }
        listeners.add(listen("admin_port", gw.adminPort(), new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new AdminHandler(Gateway.this, config.users()));
            }
        }, true, admin));
        watcher.start();
        // on the proxy's loops: a check of a few microseconds is never starved there when the CPU is busy, which a
        // helper thread can be (ThreadPriorities), and a late answer would eject a healthy instance
        checker = new HealthChecker(workers, transport);
        checker.start(gw.services(), router.upstreamsByService());
        log.info("event=gateway_started http={} admin={} tcp_listeners={} transport={} event_loop_policy={} thread_priorities=\"{}\" routes={} services={}",
                httpAddress(), adminAddress(), gw.tcpListeners().size(), transport.name(), transport.schedBatch() ? "batch" : "normal",
                ThreadPriorities.describe(), gw.routes().size(), gw.services().size());
    }

    private Channel listen(String what, int port, ChannelInitializer<Channel> init, boolean autoRead, EventLoopGroup group) {
        InetSocketAddress at = new InetSocketAddress(gw.listenAddress(), port);
        try {
            return new ServerBootstrap().group(group).channel(transport.serverChannel()).childOption(ChannelOption.ALLOCATOR, ALLOCATOR)
                    .option(ChannelOption.SO_BACKLOG, 1024).option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true).childOption(ChannelOption.AUTO_READ, autoRead)
                    .childHandler(init).bind(at).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding " + what + " on " + at, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot listen on " + at.getHostString() + ":" + port + " (gateway " + what + "): " + e.getMessage()
                    + "; free the port or change it in " + config.source(), e);
        }
    }

    private void registerGauges() {
        metrics.gauge("tandem.gateway.held.requests", "Requests and connections waiting on a hold", hold::waiting);
        metrics.gauge("tandem.gateway.hold.active", "1 while a hold is on", () -> hold.held() ? 1 : 0);
        metrics.gauge("tandem.gateway.tcp.open", "Relayed TCP connections open", router::tcpConnections);
        for (Upstream u : router.upstreams()) {
            String address = u.address.getHostString() + ":" + u.address.getPort();
            metrics.gauge("tandem.gateway.upstream.routed", "1 when the instance is a target of its service now",
                    () -> router.table().target(u.service).upstreams().contains(u) ? 1 : 0, "service", u.service, "site", u.site, "address", address);
            metrics.gauge("tandem.gateway.upstream.ejected", "1 while the instance is skipped after a failed connect or a 5xx burst",
                    () -> u.ejected() ? 1 : 0, "service", u.service, "site", u.site, "address", address);
            metrics.gauge("tandem.gateway.upstream.healthy", "0 while the instance's active health checks keep it out of rotation",
                    () -> u.down() ? 0 : 1, "service", u.service, "site", u.site, "address", address);
        }
    }

    public InetSocketAddress httpAddress() {
        return (InetSocketAddress) listeners.get(0).localAddress();
    }

    public InetSocketAddress adminAddress() {
        return (InetSocketAddress) listeners.get(listeners.size() - 1).localAddress();
    }

    private boolean clusterHold;

    /**
     * A planned switchover of a resource an active-passive service follows: hold new requests from the moment
     * writes stop at the old primary until the runbook ends, then release them to the new primary (the route has
     * moved by then: {@link Router#update} ran first on the same snapshot).
     */
    private synchronized void followSwitchover(ClusterSnapshot s) {
        boolean want = gw.services().stream().anyMatch(svc -> !svc.resource().isEmpty() && s.switching().contains(svc.resource()));
        if (want && !clusterHold) {
            clusterHold = true;
            hold.hold();
            log.info("event=hold reason=switchover resources={}", s.switching());
        } else if (!want && clusterHold) {
            clusterHold = false;
            int n = hold.waiting();
            hold.release();
            log.info("event=release reason=switchover-ended released={}", n);
        }
    }

    /** New requests and connections wait (up to hold_max) until {@link #release()}. */
    public void hold() {
        hold.hold();
        log.info("event=hold waiting={}", hold.waiting());
    }

    /** Lets held requests go, each to the target of the routing table at that moment. */
    public void release() {
        int n = hold.waiting();
        hold.release();
        log.info("event=release released={}", n);
    }

    public boolean held() {
        return hold.held();
    }

    public int waiting() {
        return hold.waiting();
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    /** The live routing table and what it was computed from, as served by GET /v1/gateway. */
    public Map<String, Object> describe() {
        RoutingTable t = router.table();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("held", hold.held());
        out.put("waiting", hold.waiting());
        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("leader", t.snapshot.leader());
        cluster.put("answers", t.snapshot.answers());
        Map<String, Object> primaries = new LinkedHashMap<>();
        t.snapshot.primaries().forEach((r, p) -> primaries.put(r, Map.of("site", p.site(), "epoch", p.epoch())));
        cluster.put("primaries", primaries);
        cluster.put("sites", t.snapshot.sites());
        cluster.put("pollErrors", watcher.errors());
        out.put("cluster", cluster);
        List<Object> services = new ArrayList<>();
        for (RoutingTable.Target target : t.targets.values()) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", target.service().name());
            s.put("mode", target.service().mode().name().toLowerCase().replace('_', '-'));
            s.put("resource", target.service().resource());
            s.put("site", target.site());
            s.put("epoch", target.epoch());
            s.put("targets", target.upstreams().stream().distinct().map(u -> Map.of("site", u.site,
                    "address", u.address.getHostString() + ":" + u.address.getPort(), "weight", u.weight, "ejected", u.ejected(),
                    "healthy", !u.down(), "lastCheck", u.lastCheck())).toList());
            if (!target.reason().isEmpty()) s.put("reason", target.reason());
            TlsReloader clientCert = router.clientCertificates().get(target.service().name());
            if (clientCert != null) s.put("clientCertificate", clientCert.describe());
            services.add(s);
        }
        out.put("services", services);
        out.put("routes", router.routes().stream().map(r -> Map.of("host", r.config().host(), "pathPrefix", r.config().pathPrefix(),
                "service", r.config().service())).toList());
        out.put("tcpListeners", gw.tcpListeners().stream().map(l -> Map.of("name", l.name(), "port", l.port(), "service", l.service())).toList());
        out.put("tcpConnections", router.tcpConnections());
        if (tls != null) out.put("tls", tls.describe());
        return out;
    }

    @Override
    public void close() {
        watcher.close();
        if (checker != null) checker.close();
        if (tls != null) tls.close();
        router.clientCertificates().values().forEach(TlsReloader::close);
        for (Channel ch : listeners) ch.close().awaitUninterruptibly();
        router.upstreams().forEach(Upstream::closeIdle);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        admin.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        metrics.registry.close();
        log.info("event=gateway_stopped");
    }
}
