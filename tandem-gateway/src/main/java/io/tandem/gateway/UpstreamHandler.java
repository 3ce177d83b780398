package io.tandem.gateway;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of an upstream connection: relays what the upstream sends to the client connection it is bound
 * to. Unbound, it sits in its instance's idle pool and closes on any unexpected byte or when idle too long.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    /** Told of a connection's TLS handshake failure (the request was never sent). */
    interface Failures {
        void tlsFailed(Upstream u, Throwable cause);
    }

    private static final Logger log = LoggerFactory.getLogger(UpstreamHandler.class);
    private static final HttpHeadersFactory UPSTREAM_HEADERS = DefaultHttpHeadersFactory.headersFactory().withNameValidation(false);

    private final Upstream upstream;
    private final Failures failures;
    private final RawResponse raw;
    private HttpFrontend front;

    UpstreamHandler(Upstream upstream, Failures failures, RawResponse raw) {
        this.upstream = upstream;
        this.failures = failures;
        this.raw = raw;
    }

    /** Upstream connections: client codec, idle close while pooled, and the relay back to the frontend. */
    static ChannelInitializer<Channel> initializer(Upstream u, ProxyContext cx) {
        UpstreamHandler.Failures failures = (up, cause) -> {
            cx.metrics().upstreamError(up.service, "tls");
            up.eject(cx.ejectNanos()); // like a refused connection: the other instances serve meanwhile
            if (up.shouldLogTlsFailure()) {
                log.warn("event=upstream_tls_failed upstream={} name={} error=\"{}\" msg=\"nothing was sent to it; check upstream_tls (ca_file, "
                        + "server_name) of service '{}' against the instance's certificate\"", up.label(), up.tlsName, cause.getMessage(), up.service);
            }
        };
        long idleMillis = Math.max(1, cx.idleTimeoutNanos() / 1_000_000);
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                // an upstream's header names are not re-checked as tokens (the decoder still splits lines and values are
                // still checked): a measurable share of the gateway's CPU per response, for input from a configured server
                HttpDecoderConfig dc = new HttpDecoderConfig().setMaxHeaderSize(64 * 1024).setMaxChunkSize(HttpFrontend.MAX_CHUNK)
                        .setHeadersFactory(UPSTREAM_HEADERS);
                if (u.tls != null) ch.pipeline().addLast(u.newTlsHandler(ch.alloc())); // holds the request until the handshake ends
                HttpCodecs.ResponseDecoder decoder = new HttpCodecs.ResponseDecoder(dc);
                RawResponse raw = new RawResponse(decoder);
                ch.pipeline().addLast(new HttpRequestEncoder(), new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS), raw, decoder,
                        new UpstreamHandler(u, failures, raw));
            }
        };
    }

    private ChannelHandlerContext requestOut;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        requestOut = ctx.pipeline().context(HttpRequestEncoder.class);
    }

    /** Where a request already written as bytes enters this connection: past its request encoder. */
    ChannelHandlerContext requestOut() {
        return requestOut;
    }

    /** Binds the connection to {@code f}'s request; its response takes the byte-level path if {@code rawPath}. */
    void bind(HttpFrontend f, boolean rawPath, boolean headRequest) {
        this.front = f;
        raw.expect(f, rawPath, headRequest);
    }

    void unbind() {
        this.front = null;
        raw.reset();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        HttpFrontend f = front;
        if (f == null) {
            ReferenceCountUtil.release(msg);
            ctx.close(); // a pooled connection must stay silent
            return;
        }
        if (msg instanceof HttpResponse r) {
            if (r.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                ctx.close(); // seen by the frontend as a failed exchange
                return;
            }
            f.onResponse(r);
        }
        if (msg instanceof HttpContent c) {
            if (front == null) {
                c.release();
            } else {
                front.onResponseContent(c);
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (front != null) front.flushToClient();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (front != null) front.onUpstreamWritability();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        upstream.removeIdle(ctx.channel());
        HttpFrontend f = front;
        front = null;
        if (f != null) f.onUpstreamClosed();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && front == null) {
            ctx.close();
        } else if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent hs && !hs.isSuccess()) {
            failures.tlsFailed(upstream, hs.cause());
            if (front != null) front.onUpstreamTlsFailed();
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
