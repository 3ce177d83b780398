package io.tandem.gateway;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of the HTTP proxy: reads a request, waits out a hold, picks an upstream from the
 * routing table, streams the body both ways with backpressure (a side's reading stops while the other
 * side cannot take more), and returns the upstream connection to its pool. One request at a time per
 * connection: the FlowControlHandler before it keeps pipelined requests until this one is answered.
 *
 * <p>Hot path (runs per request and per body chunk): one class with plain fields, no state object
 * allocated per request, measured-hot and so over the ~500-line guide. Kept elsewhere: the error answers and
 * cookies ({@link HttpAnswers}), the upstream pipeline ({@link UpstreamHandler#initializer}), the byte-level
 * heads ({@link RequestHead}, {@link ResponseHead}, {@link RawResponse}).
 */
final class HttpFrontend extends ChannelInboundHandlerAdapter {
    private static final Logger access = LoggerFactory.getLogger("tandem.gateway.access");
    private static final Logger log = LoggerFactory.getLogger(HttpFrontend.class);
    static final int MAX_CHUNK = 64 * 1024;

    private enum Timer { IDLE, HEADER, BODY, UPSTREAM }

    private final ProxyContext cx;
    private final HttpCodecs.ResponseEncoder encoder = new HttpCodecs.ResponseEncoder();
    private final Runnable onTimerTask = this::onTimerTask;
    private ChannelHandlerContext ctx;
    private String clientIp;
    /** A request read while the previous one's response was still coming (HTTP pipelining). */
    private Object pipelined;
    // One timer per connection, re-armed by moving its deadline: arming and disarming per request only write
    // these fields; the scheduled task (at most one) re-schedules itself when the deadline moved later.
    private Timer timerKind;
    private long timerDeadline;
    private long timerGen;
    private ScheduledFuture<?> timerTask;
    private long timerTaskAt;
    private boolean awaitingHeaders = true;
    private boolean sawBytes;
    /** Bumped when a request ends, so late callbacks (a connect, a hold release) of an earlier one do nothing. */
    private long generation;

    // The request in flight.
    private HttpRequest request;
    private Router.Route route;
    /** The routed service's eject_after_5xx, taken at dispatch. */
    private int ejectAfter5xx;
    /** The protocol the request asks to switch to (Connection: upgrade, e.g. websocket), else null. */
    private String upgrade;
    /** The upstream agreed (101): once its response head is out, both connections become a byte relay. */
    private boolean tunnelling;
    /** Set-Cookie value to add to the answer (a sticky service whose client is new or moved), else null. */
    private String stickyCookie;
    private Upstream upstream;
    private Channel upChannel;
    private long startNanos;
    private int attempts;
    private int status;
    private boolean keepAlive, http10, expectContinue, continueSent, requestDone, requestWritten, bodyForwarded;
    private boolean responseStarted, interim, upstreamReusable, closing, flushUpstream;
    /**
     * The trailer fields of a chunked request whose body was empty (null: none), kept for a retry: such a request may be
     * sent again, and its end must carry them again.
     */
    private io.netty.handler.codec.http.HttpHeaders requestTrailers;
    /** The request goes to the upstream as bytes ({@link RequestHead}), its headers unchanged; else as Netty's objects. */
    private boolean rawRequest;
    /** Where raw request bytes enter the upstream connection: past its request encoder. */
    private ChannelHandlerContext upOut;
    private static final io.netty.util.concurrent.FastThreadLocal<RequestHead> REQUEST_HEADS = new io.netty.util.concurrent.FastThreadLocal<>() {
        @Override
        protected RequestHead initialValue() {
            return new RequestHead(); // one per event loop: a head is written in one go
        }
    };

    /** Whether this connection came in over TLS (X-Forwarded-Proto: https). */
    private final boolean https;

    HttpFrontend(ProxyContext cx, boolean https) {
        this.cx = cx;
        this.https = https;
    }

    /** The client-side pipeline: first-byte watch (header timeout), strict decoder, encoder, flow control, this. */
    static ChannelInitializer<Channel> initializer(ProxyContext cx) {
        return initializer(cx, null);
    }

    /**
     * As {@link #initializer(ProxyContext)}, behind TLS when {@code tls} is given (asked at every connection, so a
     * reloaded certificate serves the next one): the handshake must end within
     * header_timeout, so a client that never completes it is closed like one that never sends a header.
     */
    static ChannelInitializer<Channel> initializer(ProxyContext cx, java.util.function.Supplier<io.netty.handler.ssl.SslContext> tls) {
        HttpDecoderConfig limits = new HttpDecoderConfig().setMaxInitialLineLength((int) cx.config().maxRequestLine().bytes())
                .setMaxHeaderSize((int) cx.config().maxHeaderSize().bytes()).setMaxChunkSize(MAX_CHUNK)
                .setAllowDuplicateContentLengths(false).setStrictLineParsing(true);
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                HttpFrontend front = new HttpFrontend(cx, tls != null);
                if (tls != null) {
                    io.netty.handler.ssl.SslHandler ssl = tls.get().newHandler(ch.alloc()); // the pair loaded last
                    ssl.setHandshakeTimeoutMillis(Math.max(1, cx.headerTimeoutNanos() / 1_000_000));
                    ch.pipeline().addLast(ssl);
                }
                ch.pipeline().addLast(front.new ByteWatch(), new HttpCodecs.RequestDecoder(limits), front.encoder,
                        new io.netty.handler.flow.FlowControlHandler(), front);
            }
        };
    }

    /** Sees raw bytes before the decoder: the first byte of a request starts the header timeout. */
    final class ByteWatch extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            if (awaitingHeaders && !sawBytes) {
                sawBytes = true;
                arm(Timer.HEADER, cx.headerTimeoutNanos());
            }
            c.fireChannelRead(msg);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(Timer.IDLE, cx.idleTimeoutNanos());
        ctx.fireChannelActive();
    }

    private void arm(Timer kind, long nanos) {
        long now = System.nanoTime();
        timerKind = kind;
        timerDeadline = now + nanos;
        timerGen = generation;
        if (timerTask == null || timerTaskAt - timerDeadline > 0) {
            if (timerTask != null) timerTask.cancel(false);
            schedule(now, nanos);
        }
    }

    private void schedule(long now, long delayNanos) {
        timerTaskAt = now + delayNanos;
        timerTask = ctx.executor().schedule(onTimerTask, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        timerKind = null;
    }

    private void onTimerTask() {
        timerTask = null;
        Timer kind = timerKind;
        if (kind == null || !ctx.channel().isActive()) return;
        long now = System.nanoTime();
        long left = timerDeadline - now;
        if (left > 0) {
            schedule(now, left);
            return;
        }
        timerKind = null;
        onTimer(kind, timerGen);
    }

    private void onTimer(Timer kind, long gen) {
        if (gen != generation) return;
        switch (kind) {
            case IDLE -> ctx.close();
            case HEADER -> reject(HttpResponseStatus.REQUEST_TIMEOUT, "request header not received within header_timeout", false);
            case BODY -> {
                if (!ctx.channel().config().isAutoRead() || upChannel == null) {
                    arm(Timer.BODY, cx.idleTimeoutNanos()); // the gateway paused reading (backpressure, a hold): not the client's stall
                    return;
                }
                // the upstream's connection is cut first, so it never sees a whole request
                reject(HttpResponseStatus.REQUEST_TIMEOUT, "no request body byte within idle_timeout", false);
            }
            case UPSTREAM -> {
                cx.metrics().upstreamError(upstream.service, "timeout");
                closeUpstream();
                reject(HttpResponseStatus.GATEWAY_TIMEOUT, "the upstream did not answer within upstream_timeout", false);
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (request != null && requestDone && !closing) {
            // The next request, pipelined while this one's response is still coming: it waits here, and the
            // socket is read no further (the flow control handler keeps what was already decoded) until then.
            // Reading stays on otherwise, so a keep-alive exchange never changes the socket's interest set.
            if (pipelined != null) {
                ReferenceCountUtil.release(msg);
                ctx.close(); // cannot happen: reading stopped with the first one
                return;
            }
            pipelined = msg;
            ctx.channel().config().setAutoRead(false);
            return;
        }
        if (msg instanceof HttpRequest req) {
            if (!onRequest(req)) {
                ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (msg instanceof HttpContent c) {
            onContent(c);
        } else if (!(msg instanceof HttpRequest)) {
            ReferenceCountUtil.release(msg);
        }
    }

    /** False when the request was refused (its message is then released by the caller). */
    private boolean onRequest(HttpRequest req) {
        disarm();
        awaitingHeaders = false;
        sawBytes = false;
        if (request != null || closing) {
            ctx.close(); // cannot happen with the flow control handler in place; refuse rather than interleave
            return false;
        }
        request = req;
        startNanos = System.nanoTime();
        attempts = 0;
        status = 0;
        route = null;
        upstream = null;
        http10 = req.protocolVersion().equals(HttpVersion.HTTP_1_0);
        keepAlive = HttpUtil.isKeepAlive(req);
        encoder.head = req.method().equals(HttpMethod.HEAD);
        expectContinue = continueSent = requestDone = requestWritten = bodyForwarded = false;
        requestTrailers = null;
        responseStarted = interim = upstreamReusable = flushUpstream = false;
        DecoderResult dr = req.decoderResult();
        if (dr.isFailure()) {
            reject(HttpAnswers.statusFor(dr.cause()), HttpAnswers.message(dr.cause()), false);
            return false;
        }
        java.util.List<String> te = req.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)
                ? req.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING) : java.util.List.of();
        if (!te.isEmpty() && (te.size() > 1 || !te.get(0).trim().equalsIgnoreCase("chunked"))) {
            reject(HttpResponseStatus.BAD_REQUEST, "unsupported Transfer-Encoding", false);
            return false;
        }
        String expect = req.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null) {
            if (!expect.equalsIgnoreCase("100-continue")) {
                reject(HttpResponseStatus.EXPECTATION_FAILED, "only 100-continue is supported", false);
                return false;
            }
            expectContinue = true;
        }
        route = cx.router().match(req.headers().get(HttpHeaderNames.HOST), req.uri());
        if (route == null) {
            reject(HttpResponseStatus.NOT_FOUND, "no route for this host and path", false);
            return false;
        }
        upgrade = req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                ? req.headers().get(HttpHeaderNames.UPGRADE) : null;
        tunnelling = false;
        rawRequest = RequestHead.takes(req, upgrade != null, expectContinue);
        if (!rawRequest) ProxyHeaders.toUpstream(req, clientIp(), https, https ? clientCertSubject() : null);
        if (upgrade != null) {
            // hop-by-hop, so dropped above; an upgrade is the one case where they must reach the upstream
            req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE).set(HttpHeaderNames.UPGRADE, upgrade);
        }
        long gen = generation;
        if (!cx.hold().held()) {
            dispatch(); // no hold: the common case, without the two callbacks below
        } else switch (cx.hold().admit(ctx.executor(), () -> { if (gen == generation && !closing) dispatch(); },
                () -> { if (gen == generation) reject(HttpResponseStatus.SERVICE_UNAVAILABLE, "held longer than hold_max", true); })) {
            case PASS -> dispatch();
            case WAITING -> { }
            case REFUSED -> reject(HttpResponseStatus.SERVICE_UNAVAILABLE, "too many requests held (hold_queue)", true);
        }
        // Body chunks wait (in the flow control handler) until an upstream is attached. A pooled connection
        // was attached just now, so reading goes on without touching the socket's interest set.
        if (upChannel == null && !closing && request != null) ctx.channel().config().setAutoRead(false);
        // until the body's end (at once for a request without one) a client that sends nothing for idle_timeout is cut
        if (!closing && request != null) arm(Timer.BODY, cx.idleTimeoutNanos());
        return true;
    }

    private String clientSubject;

    /** The subject of the certificate the client presented on this TLS connection (mutual TLS), or null. */
    private String clientCertSubject() {
        if (clientSubject == null) {
            io.netty.handler.ssl.SslHandler ssl = ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class);
            String subject = "";
            try {
                if (ssl != null && ssl.engine().getSession().getPeerCertificates()[0] instanceof java.security.cert.X509Certificate x) {
                    subject = HttpAnswers.headerSafe(x.getSubjectX500Principal().getName());
                }
            } catch (javax.net.ssl.SSLPeerUnverifiedException noClientCertificate) {
                // none asked for
            }
            clientSubject = subject;
        }
        return clientSubject.isEmpty() ? null : clientSubject;
    }

    private String clientIp() {
        String ip = clientIp;
        if (ip == null) {
            ip = clientIp = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress();
        }
        return ip;
    }

    private void onContent(HttpContent c) {
        if (request == null || closing || upChannel == null) {
            c.release();
            return;
        }
        if (c.decoderResult().isFailure()) {
            String why = HttpAnswers.message(c.decoderResult().cause());
            c.release();
            closeUpstream(); // the upstream sees a truncated body, never a complete request
            reject(HttpResponseStatus.BAD_REQUEST, why, false);
            return;
        }
        if (c.content().isReadable()) bodyForwarded = true;
        if (!(c instanceof LastHttpContent)) arm(Timer.BODY, cx.idleTimeoutNanos()); // a client stalling mid-body is cut
        // a raw request's body is framed by Content-Length: its bytes pass as they are (the content owns its buffer)
        Object out = rawRequest ? c.content() : c;
        if (c instanceof LastHttpContent last) {
            requestDone = true; // a next request read meanwhile waits in 'pipelined' for this response
            if (!bodyForwarded && !last.trailingHeaders().isEmpty()) requestTrailers = last.trailingHeaders().copy();
            if (rawRequest) {
                upOut.writeAndFlush(out, upChannel.voidPromise());
            } else {
                upChannel.writeAndFlush(out, upChannel.voidPromise()); // a failed write closes the upstream (exceptionCaught)
            }
            flushUpstream = false;
            if (!responseStarted) arm(Timer.UPSTREAM, cx.upstreamTimeoutNanos());
        } else {
            if (rawRequest) upOut.write(out, upChannel.voidPromise());
            else upChannel.write(out, upChannel.voidPromise());
            flushUpstream = true;
            if (!upChannel.isWritable()) ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (flushUpstream && upChannel != null) {
            flushUpstream = false;
            upChannel.flush();
        }
        ctx.fireChannelReadComplete();
    }

    /** Sends the request to an instance of its route's service; runs again (once) to retry elsewhere. */
    private void dispatch() {
        RoutingTable.Target target = cx.router().table().target(route.config().service());
        String cookie = target.service().stickyCookie();
        String wanted = !cookie.isEmpty() && attempts == 0 ? HttpAnswers.cookieValue(request, cookie) : null;
        Upstream stuck = RoutingTable.sticky(target, wanted);
        Upstream u = stuck != null ? stuck : RoutingTable.pick(target, upstream);
        if (u == null) {
            reject(HttpResponseStatus.SERVICE_UNAVAILABLE, "service '" + target.service().name() + "' has no target: " + RoutingTable.unavailable(target), true);
            return;
        }
        upstream = u;
        ejectAfter5xx = target.service().ejectAfter5xx();
        stickyCookie = cookie.isEmpty() || u.stickyId.equals(wanted) ? null
                : HttpAnswers.stickyCookie(cookie, u.stickyId);
        attempts++;
        // A retry never takes a pooled connection: the failure may have been a stale keep-alive.
        Channel idle = attempts == 1 && upgrade == null ? u.pollIdle(ctx.channel().eventLoop()) : null;
        if (idle != null) {
            attach(idle);
            return;
        }
        long gen = generation;
        ChannelFuture f = cx.upstreams().clone(ctx.channel().eventLoop()).handler(UpstreamHandler.initializer(u, cx)).connect(u.address);
        f.addListener((ChannelFutureListener) fut -> {
            if (gen != generation || closing) {
                fut.channel().close();
            } else if (fut.isSuccess()) {
                attach(fut.channel());
            } else {
                u.eject(cx.ejectNanos());
                cx.metrics().upstreamError(u.service, "connect");
                log.debug("event=upstream_connect_failed upstream={} error=\"{}\"", u.label(), fut.cause().toString());
                upstreamFailed();
            }
        });
    }

    private void attach(Channel ch) {
        upChannel = ch;
        // the byte-level response path serves HTTP/1.1 clients; HTTP/1.0 (re-framing) and upgrades take Netty's objects
        UpstreamHandler uh = ch.pipeline().get(UpstreamHandler.class);
        uh.bind(this, !http10 && upgrade == null, encoder.head);
        if (expectContinue && !continueSent) {
            continueSent = true;
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
        }
        requestWritten = true;
        if (rawRequest) {
            upOut = uh.requestOut();
            upOut.write(REQUEST_HEADS.get().encode(ch.alloc(), request, clientIp(), https, https ? clientCertSubject() : null), ch.voidPromise());
        } else {
            ch.write(request, ch.voidPromise()); // no promise per write on the hot path: a failure closes the upstream
        }
        if (requestDone) {
            if (!rawRequest) { // a retry of a request without body, with its trailer if it had one
                ch.write(requestTrailers == null ? LastHttpContent.EMPTY_LAST_CONTENT
                        : new io.netty.handler.codec.http.DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, requestTrailers.copy()), ch.voidPromise());
            }
            arm(Timer.UPSTREAM, cx.upstreamTimeoutNanos());
        }
        ch.flush();
        if (!requestDone) ctx.channel().config().setAutoRead(ch.isWritable());
    }

    /** The upstream connection failed before any response byte: retry if nothing unrepeatable was sent, else 502. */
    private void upstreamFailed() {
        upChannel = null;
        ctx.channel().config().setAutoRead(false); // body chunks wait in the flow control handler until the next upstream
        boolean safe = !requestWritten || (HttpAnswers.idempotent(request.method()) && !bodyForwarded);
        if (attempts < 2 && safe) {
            requestWritten = false;
            dispatch();
        } else {
            reject(HttpResponseStatus.BAD_GATEWAY, "the upstream " + upstream.label() + " failed before answering", !requestWritten);
        }
    }

    /** The upstream's TLS handshake failed: nothing reached it, so the request may go elsewhere whatever its method. */
    void onUpstreamTlsFailed() {
        if (!bodyForwarded) requestWritten = false;
    }

    void onUpstreamClosed() {
        if (request == null || closing) return;
        if (!responseStarted) {
            cx.metrics().upstreamError(upstream.service, "reset");
            upstreamFailed();
        } else {
            ctx.close(); // mid-response: the client must see the truncation
        }
    }

    void onUpstreamWritability() {
        if (!requestDone && upChannel != null && !closing) {
            ctx.channel().config().setAutoRead(upChannel.isWritable());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (upChannel != null && responseStarted) {
            upChannel.config().setAutoRead(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    void onResponse(HttpResponse r) {
        if (request == null || closing) return;
        if (r.status().codeClass() == HttpStatusClass.INFORMATIONAL && r.status().code() != 101) {
            interim = true; // the gateway already answered 100-continue; drop the upstream's
            return;
        }
        disarm();
        responseStarted = true;
        status = r.status().code();
        if (status == 101 && upgrade != null) {
            String proto = r.headers().get(HttpHeaderNames.UPGRADE);
            ProxyHeaders.toClient(r, true);
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            if (proto != null) r.headers().set(HttpHeaderNames.UPGRADE, proto);
            r.setProtocolVersion(HttpVersion.HTTP_1_1);
            tunnelling = true;
            ctx.write(r);
            return;
        }
        countAnswer();
        upstreamReusable = HttpUtil.isKeepAlive(r);
        boolean chunked = r.headers().contains(HttpHeaderNames.TRANSFER_ENCODING) && HttpUtil.isTransferEncodingChunked(r);
        boolean framed = chunked || HttpUtil.isContentLengthSet(r) || encoder.head || status == 204 || status == 304;
        if (!requestDone || (http10 && chunked) || (!framed && (http10 || !keepAlive))) {
            keepAlive = false; // the body ends when the connection does, or the client's request body is still unread
        }
        ProxyHeaders.toClient(r, keepAlive);
        if (stickyCookie != null) r.headers().add(HttpHeaderNames.SET_COOKIE, stickyCookie);
        if (http10) {
            r.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            if (keepAlive) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        } else if (!framed) {
            HttpUtil.setTransferEncodingChunked(r, true);
        }
        r.setProtocolVersion(http10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1);
        ctx.write(r, ctx.voidPromise());
    }

    /** Passive health: a run of 5xx answers ejects the instance for a while. */
    private void countAnswer() {
        if (upstream.answered(status, ejectAfter5xx, cx.ejectNanos())) {
            cx.metrics().upstreamError(upstream.service, "5xx");
            log.warn("event=upstream_ejected upstream={} reason=\"{} 5xx answers in a row\" for_ms={}", upstream.label(), ejectAfter5xx,
                    cx.ejectNanos() / 1_000_000);
        }
    }

    /**
     * The byte-level path's response head ({@link RawResponse}): the same decisions as {@link #onResponse} for an
     * HTTP/1.1 client and a framed, final response, written as bytes past the client-side encoder.
     */
    void onRawHead(ResponseHead h) {
        if (request == null || closing) return;
        disarm();
        responseStarted = true;
        status = h.status();
        countAnswer();
        upstreamReusable = h.upstreamKeepAlive();
        if (!requestDone) keepAlive = false; // the client's request body is still unread
        rawOut().write(h.rewrite(ctx.alloc(), keepAlive, stickyCookie), ctx.voidPromise());
    }

    /** Body bytes of a byte-level response, as the upstream framed them; {@code last} ends it, reusable or not. */
    void onRawBody(io.netty.buffer.ByteBuf b, boolean last, boolean reusable) {
        if (request == null || closing || !responseStarted) {
            b.release();
            return;
        }
        if (last) {
            if (!reusable) upstreamReusable = false;
            finish(rawOut().writeAndFlush(b));
        } else {
            rawOut().write(b, ctx.voidPromise());
            if (!ctx.channel().isWritable() && upChannel != null) upChannel.config().setAutoRead(false);
        }
    }

    private ChannelHandlerContext rawCtx;

    /** Writes from here skip the client-side encoder: bytes already framed as HTTP/1.1. */
    private ChannelHandlerContext rawOut() {
        ChannelHandlerContext c = rawCtx;
        if (c == null) c = rawCtx = ctx.pipeline().context(encoder);
        return c;
    }

    void onResponseContent(HttpContent c) {
        if (interim || request == null || closing || !responseStarted) {
            if (interim && c instanceof LastHttpContent) interim = false;
            c.release();
            return;
        }
        if (tunnelling && c instanceof LastHttpContent) {
            ctx.writeAndFlush(c);
            startTunnel();
        } else if (c instanceof LastHttpContent) {
            finish(ctx.writeAndFlush(c));
        } else {
            ctx.write(c, ctx.voidPromise());
            if (!ctx.channel().isWritable() && upChannel != null) upChannel.config().setAutoRead(false);
        }
    }

    /**
     * After a 101 answer to an upgrade (WebSocket): both connections become a plain byte relay, as a TCP listener's.
     * The relays go in first, so bytes a decoder still holds pass on to them as it is removed; the tunnel is closed
     * like a TCP connection when an active-passive service's primary moves.
     */
    private void startTunnel() {
        record();
        Channel client = ctx.channel();
        Channel up = upChannel;
        upChannel = null;
        timerKind = null;
        if (up == null || !up.isActive()) {
            ctx.close();
            return;
        }
        up.pipeline().get(UpstreamHandler.class).unbind();
        up.pipeline().addLast(new TcpProxy.Relay(client));
        // tunnel_idle_timeout with no byte either way closes the tunnel (HAProxy's timeout tunnel)
        long tunnelIdleMs = cx.config().tunnelIdleTimeout().toMillis(); // 0: never
        client.pipeline().addLast(new IdleStateHandler(0, 0, tunnelIdleMs, TimeUnit.MILLISECONDS),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext c, Object evt) {
                        if (evt instanceof io.netty.handler.timeout.IdleStateEvent) {
                            log.debug("event=tunnel_idle_closed upstream={}", upstream.label());
                            c.close();
                        } else {
                            c.fireUserEventTriggered(evt);
                        }
                    }
                }, new TcpProxy.Relay(up));
        up.pipeline().remove(HttpRequestEncoder.class);
        up.pipeline().remove(RawResponse.class);
        up.pipeline().remove(HttpCodecs.ResponseDecoder.class);
        up.pipeline().remove(IdleStateHandler.class);
        up.pipeline().remove(UpstreamHandler.class);
        client.pipeline().remove(ByteWatch.class);
        client.pipeline().remove(HttpCodecs.RequestDecoder.class);
        client.pipeline().remove(encoder);
        client.pipeline().remove(io.netty.handler.flow.FlowControlHandler.class);
        cx.router().trackTcp(new Router.TcpConnection(client, upstream));
        log.debug("event=tunnel upstream={} protocol={}", upstream.label(), upgrade);
        client.pipeline().remove(this);
        client.config().setAutoRead(true);
        up.config().setAutoRead(true);
    }

    void flushToClient() {
        ctx.flush();
    }

    /** The response is complete: account, return the upstream connection, and wait for the next request or close. */
    private void finish(ChannelFuture written) {
        record();
        Channel up = upChannel;
        upChannel = null;
        if (up != null) {
            up.pipeline().get(UpstreamHandler.class).unbind();
            if (upstreamReusable && requestDone && up.isActive()) {
                up.config().setAutoRead(true);
                upstream.offerIdle(up);
            } else {
                up.close();
            }
        }
        endRequest();
        if (!keepAlive) {
            releasePipelined();
            written.addListener(ChannelFutureListener.CLOSE);
        } else {
            awaitingHeaders = true;
            arm(Timer.IDLE, cx.idleTimeoutNanos());
            Object next = pipelined;
            if (next != null) {
                pipelined = null;
                channelRead(ctx, next); // turns reading back on once it has an upstream
                if (request == null && !closing) ctx.channel().config().setAutoRead(true);
            } else {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    private void releasePipelined() {
        Object p = pipelined;
        pipelined = null;
        if (p != null) ReferenceCountUtil.release(p);
    }

    private void endRequest() {
        request = null;
        generation++;
        disarm();
    }

    /** Answers with an error and closes the connection (the rest of the request is unread). */
    private void reject(HttpResponseStatus st, String why, boolean retryLater) {
        if (closing) return;
        closing = true;
        closeUpstream();
        if (responseStarted) {
            ctx.close();
            return;
        }
        status = st.code();
        record();
        FullHttpResponse resp = HttpAnswers.error(st, why, retryLater);
        encoder.head = false;
        endRequest();
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeUpstream() {
        Channel up = upChannel;
        upChannel = null;
        if (up != null) {
            up.pipeline().get(UpstreamHandler.class).unbind();
            up.close();
        }
    }

    private void record() {
        long nanos = System.nanoTime() - startNanos;
        Router.Route r = route != null ? route : cx.router().noRoute;
        r.meters().record(status, nanos);
        if (cx.config().accessLog() && access.isInfoEnabled()) {
            HttpRequest q = request;
            access.info("client={} method={} uri=\"{}\" host=\"{}\" route={} upstream={} status={} ms={} attempts={}",
                    ctx.channel().remoteAddress(), q == null ? "-" : q.method(), q == null ? "-" : q.uri(),
                    q == null ? "-" : q.headers().get(HttpHeaderNames.HOST, "-"), route == null ? "-" : route.config().label(),
                    upstream == null ? "-" : upstream.label(), status, String.format("%.3f", nanos / 1e6), attempts);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        if (timerTask != null) {
            timerTask.cancel(false);
            timerTask = null;
        }
        releasePipelined();
        closing = true;
        generation++;
        closeUpstream();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("event=client_error client={} error=\"{}\"", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
