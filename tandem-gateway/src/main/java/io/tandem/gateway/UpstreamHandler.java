package io.tandem.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The end of an upstream connection: relays what the upstream sends to the client connection it is bound
 * to. Unbound, it sits in its instance's idle pool and closes on any unexpected byte or when idle too long.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    /** Told of a connection's TLS handshake failure (the request was never sent). */
    interface Failures {
        void tlsFailed(Upstream u, Throwable cause);
    }

    private final Upstream upstream;
    private final Failures failures;
    private final RawResponse raw;
    private HttpFrontend front;

    UpstreamHandler(Upstream upstream, Failures failures, RawResponse raw) {
        this.upstream = upstream;
        this.failures = failures;
        this.raw = raw;
    }

    private ChannelHandlerContext requestOut;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        requestOut = ctx.pipeline().context(io.netty.handler.codec.http.HttpRequestEncoder.class);
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
