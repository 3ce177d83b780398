package io.tandem.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.buffer.Unpooled;
import io.tandem.model.config.TcpListenerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP listener: each new connection is relayed byte for byte to the instance its service's routing picks
 * at that moment (for an active-passive service, the primary site's). A connect failure is retried once on
 * another instance; the {@link Router} closes relayed connections when their primary is replaced.
 */
final class TcpProxy {
    private static final Logger log = LoggerFactory.getLogger(TcpProxy.class);

    private TcpProxy() {}

    /**
     * Reads per readiness event on each side of a relayed connection: one, so that each connection gets one read per
     * turn of the event loop, as HAProxy's do. Netty's default (16 reads while each fills its buffer) let one connection
     * carrying a large response take many turns' worth at once while the others waited: TCP 64 KiB at 64 connections
     * had a p99 of 23-29 ms with 16 and 6.6-12 ms with 1 (HAProxy 6.7-21 ms), requests/s alike (`tandem bench gateway`,
     * 2026-12-07, 7 runs); side by side with HAProxy, 2 alternating pairs, p99 delta +5.5 and -10.8 ms with 1 against
     * +18.2 and +8.1 ms with 16, 1 KiB unchanged (requests/s 0.94/0.91 against 0.88/0.90). Each read fills at most one
     * receive buffer, so a big transfer takes more turns.
     * {@code -Dtandem.gateway.tcp_reads_per_event=N} sets another count (1-64), for comparison.
     */
    static final int READS_PER_EVENT = Math.max(1, Math.min(64, Integer.getInteger("tandem.gateway.tcp_reads_per_event", 1)));

    static ChannelInitializer<Channel> initializer(TcpListenerConfig listener, ProxyContext cx) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.config().setOption(ChannelOption.MAX_MESSAGES_PER_READ, READS_PER_EVENT);
                ch.pipeline().addLast(new Front(listener, cx));
            }
        };
    }

    /** The client side: accepted with auto-read off, so nothing is read before the upstream is connected. */
    private static final class Front extends ChannelInboundHandlerAdapter {
        private final TcpListenerConfig listener;
        private final ProxyContext cx;
        private Upstream tried;
        private int attempts;

        Front(TcpListenerConfig listener, ProxyContext cx) {
            this.listener = listener;
            this.cx = cx;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            cx.metrics().tcpConnection(listener.name());
            switch (cx.hold().admit(ctx.executor(), () -> connect(ctx), ctx::close)) {
                case PASS -> connect(ctx);
                case WAITING -> { }
                case REFUSED -> ctx.close();
            }
        }

        private void connect(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            if (!client.isActive()) return;
            RoutingTable.Target target = cx.router().table().target(listener.service());
            Upstream u = RoutingTable.pick(target, tried);
            if (u == null) {
                log.info("event=tcp_refused listener={} reason=\"{}\"", listener.name(), RoutingTable.unavailable(target));
                client.close();
                return;
            }
            tried = u;
            attempts++;
            Bootstrap b = cx.upstreams().clone(client.eventLoop()).option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.MAX_MESSAGES_PER_READ, READS_PER_EVENT).handler(new Relay(client));
            b.connect(u.address).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    u.eject(cx.ejectNanos());
                    cx.metrics().upstreamError(u.service, "connect");
                    if (attempts < 2) {
                        connect(ctx);
                    } else {
                        client.close();
                    }
                    return;
                }
                Channel up = f.channel();
                if (!client.isActive()) {
                    up.close();
                    return;
                }
                client.pipeline().addLast(new Relay(up));
                client.pipeline().remove(this);
                client.closeFuture().addListener(x -> up.close());
                cx.router().trackTcp(new Router.TcpConnection(client, u));
                client.config().setAutoRead(true);
                up.config().setAutoRead(true);
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /**
     * Copies what one side reads to the other, flushing once per read batch. Both sides read with auto-read
     * on while the other side is writable; as soon as the other side's outbound buffer passes its high-water
     * mark, this side stops reading (within the read loop), and resumes when that buffer drained below the
     * low-water mark. So a slow reader slows the writer and at most a high-water mark plus one read is
     * buffered per direction, without an interest-set change or a listener per read as long as both keep up.
     */
    static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel peer;
        private boolean pendingFlush;

        Relay(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.write(msg, peer.voidPromise());
            pendingFlush = true;
            if (!peer.isWritable()) {
                peer.flush();
                pendingFlush = false;
                if (!peer.isWritable()) ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (pendingFlush) {
                pendingFlush = false;
                peer.flush();
            }
            ctx.fireChannelReadComplete();
        }

        /** This side drained: the peer, which writes to it, may read again. */
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                peer.config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer.isActive()) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
