package io.tandem.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import io.tandem.model.config.HealthCheckConfig;
import io.tandem.model.config.HealthCheckType;
import io.tandem.model.config.ServiceConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checks: every {@code interval}, each instance of a service with a {@code health_check} is asked
 * (HTTP GET of the path, healthy on 2xx/3xx; or a TCP connect), with at most {@code timeout} to answer. {@code fall}
 * failures in a row take it out of rotation, {@code rise} passes bring it back; each change is logged once. Checks run
 * on the admin event loop, never on the proxy's, and one check of an instance ends before its next starts
 * (the config keeps timeout <= interval).
 */
final class HealthChecker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    private final EventLoopGroup group;
    private final Transport transport;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();

    HealthChecker(EventLoopGroup group, Transport transport) {
        this.group = group;
        this.transport = transport;
    }

    void start(List<ServiceConfig> services, Map<String, List<Upstream>> upstreams) {
        for (ServiceConfig s : services) {
            if (s.healthCheck().isEmpty()) continue;
            HealthCheckConfig hc = s.healthCheck().get();
            for (Upstream u : upstreams.getOrDefault(s.name(), List.of())) {
                EventLoop loop = group.next();
                long interval = hc.interval().toMillis();
                // spread the first checks over one interval so that many instances are not asked at once
                long first = ThreadLocalRandom.current().nextLong(Math.max(1, interval / 4));
                tasks.add(loop.scheduleWithFixedDelay(() -> check(loop, u, hc), first, interval, TimeUnit.MILLISECONDS));
            }
        }
    }

    private void check(EventLoop loop, Upstream u, HealthCheckConfig hc) {
        long t0 = System.nanoTime();
        AtomicBoolean done = new AtomicBoolean();
        Channel[] ch = new Channel[1];
        ScheduledFuture<?> timer = loop.schedule(() -> {
            if (ch[0] != null) ch[0].close();
            report(done, u, hc, false, "no answer within " + hc.timeout().toMillis() + "ms");
        }, hc.timeout().toMillis(), TimeUnit.MILLISECONDS);
        Bootstrap b = new Bootstrap().group(loop).channel(transport.channel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, hc.timeout().toMillis()))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel c) {
                        if (hc.type() == HealthCheckType.HTTP) {
                            if (u.tls != null) c.pipeline().addLast(u.newTlsHandler(c.alloc()));
                            c.pipeline().addLast(new HttpClientCodec(), new StatusReader(done, u, hc, t0, timer));
                        }
                    }
                });
        b.connect(u.address).addListener((ChannelFutureListener) f -> {
            ch[0] = f.channel();
            if (!f.isSuccess()) {
                timer.cancel(false);
                report(done, u, hc, false, "connect: " + f.cause().getMessage());
            } else if (hc.type() == HealthCheckType.TCP) {
                timer.cancel(false);
                f.channel().close();
                report(done, u, hc, true, "connected in " + (System.nanoTime() - t0) / 1_000_000 + "ms");
            } else {
                DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, hc.path());
                req.headers().set(HttpHeaderNames.HOST, u.address.getHostString() + ":" + u.address.getPort())
                        .set(HttpHeaderNames.USER_AGENT, "tandem-gateway-health-check")
                        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                f.channel().writeAndFlush(req);
            }
        });
    }

    /** Reads the status line of the answer and closes; the connection closing first is a failure. */
    private final class StatusReader extends SimpleChannelInboundHandler<HttpObject> {
        private final AtomicBoolean done;
        private final Upstream u;
        private final HealthCheckConfig hc;
        private final long t0;
        private final ScheduledFuture<?> timer;

        StatusReader(AtomicBoolean done, Upstream u, HealthCheckConfig hc, long t0, ScheduledFuture<?> timer) {
            this.done = done;
            this.u = u;
            this.hc = hc;
            this.t0 = t0;
            this.timer = timer;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse r) {
                timer.cancel(false);
                int code = r.status().code();
                report(done, u, hc, code >= 200 && code < 400, "HTTP " + code + " in " + (System.nanoTime() - t0) / 1_000_000 + "ms");
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            timer.cancel(false);
            report(done, u, hc, false, "closed before answering");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            timer.cancel(false);
            report(done, u, hc, false, String.valueOf(cause.getMessage()));
            ctx.close();
        }
    }

    private static void report(AtomicBoolean done, Upstream u, HealthCheckConfig hc, boolean passed, String detail) {
        if (!done.compareAndSet(false, true)) return;
        String what = hc.type() == HealthCheckType.HTTP ? "GET " + hc.path() : "TCP connect";
        switch (u.checked(passed, what + " " + detail, hc.rise(), hc.fall())) {
            case "down" -> log.warn("event=upstream_down upstream={} check=\"{} {}\" fall={}", u.label(), what, detail, hc.fall());
            case "up" -> log.info("event=upstream_up upstream={} check=\"{} {}\" rise={}", u.label(), what, detail, hc.rise());
            default -> { }
        }
    }

    @Override
    public void close() {
        tasks.forEach(t -> t.cancel(false));
    }
}
