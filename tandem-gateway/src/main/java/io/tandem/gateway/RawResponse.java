package io.tandem.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The byte-level path for an upstream's responses, ahead of Netty's decoder on an upstream connection. For an
 * exchange that allows it (an HTTP/1.1 client, no upgrade) it reads the response head from the bytes
 * ({@link ResponseHead}), has the frontend send its rewritten copy, and passes the body's bytes on as they came
 * while {@link BodyFramer} finds its end. A head it does not take, and every other exchange, goes to Netty's
 * decoder untouched, with the bytes read so far. Between exchanges bytes go to the decoder too, so a pooled
 * connection that speaks out of turn is closed as before.
 */
final class RawResponse extends ChannelInboundHandlerAdapter {
    private enum Mode { NETTY, HEAD, BODY }

    private final ResponseHead head = new ResponseHead();
    private final BodyFramer framer = new BodyFramer();
    private final HttpCodecs.ResponseDecoder decoder;
    private Mode mode = Mode.NETTY;
    private HttpFrontend front;
    private boolean headRequest;
    private ByteBuf cumulation;

    RawResponse(HttpCodecs.ResponseDecoder decoder) {
        this.decoder = decoder;
    }

    /** The next response answers {@code f}'s request; the byte-level path takes it if {@code raw}. */
    void expect(HttpFrontend f, boolean raw, boolean headRequest) {
        releaseCumulation();
        decoder.head = headRequest;
        this.headRequest = headRequest;
        front = raw ? f : null;
        mode = raw ? Mode.HEAD : Mode.NETTY;
    }

    /** The exchange is over (or abandoned): bytes go to the decoder again. */
    void reset() {
        mode = Mode.NETTY;
        front = null;
        releaseCumulation();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (mode == Mode.NETTY || !(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
        } else if (mode == Mode.HEAD) {
            onHeadBytes(ctx, in);
        } else {
            onBody(ctx, in);
        }
    }

    private void onHeadBytes(ChannelHandlerContext ctx, ByteBuf in) {
        ByteBuf b = in;
        boolean lineEnded = false;
        if (cumulation != null) {
            lineEnded = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n') >= 0;
            cumulation.writeBytes(in);
            in.release();
            b = cumulation;
        }
        // a head is read again from its start when more bytes came: only once a line has ended since (an LF arrived)
        int len = cumulation == null || lineEnded ? head.parse(b, headRequest) : ResponseHead.INCOMPLETE;
        if (len == ResponseHead.INCOMPLETE && b.readableBytes() > ResponseHead.MAX_HEAD) len = ResponseHead.REFUSED;
        if (len == ResponseHead.INCOMPLETE) {
            if (cumulation == null) {
                cumulation = ctx.alloc().buffer(Math.max(1024, in.readableBytes() * 2));
                cumulation.writeBytes(in);
                in.release();
            }
            return;
        }
        cumulation = null;
        if (len == ResponseHead.REFUSED) {
            toNetty(ctx, b);
            return;
        }
        HttpFrontend f = front;
        try {
            f.onRawHead(head);
        } catch (RuntimeException e) {
            b.release();
            reset();
            ctx.fireExceptionCaught(e); // the upstream connection closes; the frontend then closes the client's
            return;
        }
        b.skipBytes(len);
        switch (head.body()) {
            case NONE -> done(f, b, b.readerIndex());
            case LENGTH -> {
                framer.length(head.length());
                mode = Mode.BODY;
                onBody(ctx, b);
            }
            case CHUNKED -> {
                framer.chunked();
                mode = Mode.BODY;
                onBody(ctx, b);
            }
        }
    }

    private void onBody(ChannelHandlerContext ctx, ByteBuf b) {
        HttpFrontend f = front;
        int r = framer.scan(b, b.readerIndex(), b.writerIndex());
        if (r == BodyFramer.MORE) {
            if (b.isReadable()) {
                f.onRawBody(b, false, true);
            } else {
                b.release();
            }
        } else if (r == BodyFramer.MALFORMED) {
            b.release();
            reset();
            ctx.close(); // mid-response: the frontend closes the client's connection, which sees the truncation
        } else {
            done(f, b, r);
        }
    }

    /** The body ended at {@code end} in {@code b}: the rest of the exchange is sent, and bytes after it mean no reuse. */
    private void done(HttpFrontend f, ByteBuf b, int end) {
        boolean extra = end < b.writerIndex();
        ByteBuf last;
        if (end == b.readerIndex()) {
            b.release();
            last = Unpooled.EMPTY_BUFFER;
        } else if (extra) {
            last = b.retainedSlice(b.readerIndex(), end - b.readerIndex());
            b.release();
        } else {
            last = b;
        }
        mode = Mode.NETTY;
        front = null;
        f.onRawBody(last, true, !extra);
    }

    private void toNetty(ChannelHandlerContext ctx, ByteBuf b) {
        cumulation = null;
        mode = Mode.NETTY;
        front = null;
        ctx.fireChannelRead(b);
    }

    private void releaseCumulation() {
        ByteBuf c = cumulation;
        cumulation = null;
        if (c != null) c.release();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseCumulation();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseCumulation();
        mode = Mode.NETTY;
        ctx.fireChannelInactive();
    }
}
