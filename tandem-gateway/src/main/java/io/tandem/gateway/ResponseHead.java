package io.tandem.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * An upstream's HTTP/1.x response head read from its bytes, and rewritten for the client by copying those
 * bytes: the byte-level path for the common response (measured: Netty's header objects were most of the
 * gateway's allocation per request). It takes only what it fully understands: a final status (not 1xx),
 * plain header lines, a framing it can follow (one Content-Length, {@code Transfer-Encoding: chunked}, or
 * none needed), a Connection header naming nothing but keep-alive/close. Anything else makes
 * {@link #parse} answer {@link #REFUSED}, and the caller hands the untouched bytes to Netty's decoder instead.
 *
 * <p>Measured-hot: once per response; reused per connection, nothing allocated but the output buffer.
 */
final class ResponseHead {
    /** Framing of the body that follows the head. */
    enum Body { NONE, LENGTH, CHUNKED }

    private static final int MAX_LINES = 128;
    private static final byte[] HTTP11 = "HTTP/1.1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] TE_CHUNKED = "transfer-encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECTION_CLOSE = "connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SET_COOKIE = "set-cookie: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VIA_11 = "via: 1.1 tandem\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VIA_10 = "via: 1.0 tandem\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] APPEND_11 = ", 1.1 tandem\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] APPEND_10 = ", 1.0 tandem\r\n".getBytes(StandardCharsets.US_ASCII);

    // line kinds
    private static final int COPY = 0, DROP = 1, VIA = 2;

    /** {@link #parse}: the head goes on past the bytes given. */
    static final int INCOMPLETE = 0;
    /** {@link #parse}: not a head this path takes; Netty's decoder gets the bytes. */
    static final int REFUSED = -1;
    /**
     * A head longer than this is left to Netty's decoder (which reads incrementally, up to its own 64 KiB limit): this
     * path reads a head again from its start when more bytes came, so it takes only heads that are short.
     */
    static final int MAX_HEAD = 16 * 1024;

    /** Per header line: start, end (before CR LF), kind, as indexes into {@link #head}; reused. */
    private final int[] lines = new int[MAX_LINES * 3];
    private int lineCount;
    /**
     * The head's bytes, copied (a memcpy) from the buffer: reading a direct buffer a byte at a time checks bounds and
     * reference count on every byte. Grows, up to {@link #MAX_HEAD}, when a head is longer.
     */
    private byte[] head = new byte[1024];
    /** The rewritten head, built here and copied into a direct buffer at once. */
    private byte[] out = new byte[1024];
    private int headLen;
    private int statusLineEnd;
    private int status;
    private boolean http10;
    private boolean upstreamKeepAlive;
    /** The upstream said Transfer-Encoding: chunked (also on a HEAD, 204 or 304 answer, whose body is empty anyway). */
    private boolean chunkedHeader;
    private Body body;
    private long length;
    private int lastVia;

    int status() {
        return status;
    }

    /** Whether the upstream keeps its connection open after this response. */
    boolean upstreamKeepAlive() {
        return upstreamKeepAlive;
    }

    Body body() {
        return body;
    }

    /** The Content-Length (for {@link Body#LENGTH}). */
    long length() {
        return length;
    }

    /**
     * Reads the response head at the start of {@code in}'s readable bytes, in one pass that checks each byte once.
     * Returns the head's length (through its blank line) when this path takes it, {@link #INCOMPLETE} when more bytes
     * are needed, or {@link #REFUSED}. Lines end in LF, CR LF accepted. Nothing is consumed.
     *
     * @param headRequest whether the request was HEAD (no body, whatever the headers say)
     */
    int parse(ByteBuf in, boolean headRequest) {
        int readable = in.readableBytes();
        int copied = Math.min(readable, head.length);
        in.getBytes(in.readerIndex(), head, 0, copied);
        int r = parse(head, copied, headRequest);
        while (r == INCOMPLETE && copied < readable && head.length < MAX_HEAD) { // a long head: a bigger copy, read again
            head = new byte[Math.min(MAX_HEAD, head.length * 4)];
            copied = Math.min(readable, head.length);
            in.getBytes(in.readerIndex(), head, 0, copied);
            r = parse(head, copied, headRequest);
        }
        if (r == INCOMPLETE && copied >= MAX_HEAD) return REFUSED;
        return r;
    }

    private int parse(byte[] b, int n, boolean headRequest) {
        // status line: HTTP/1.x SP 3DIGIT [SP reason] (CR) LF
        int lf = lineFeed(b, 0, n);
        if (lf < 0) return lf == -1 ? INCOMPLETE : REFUSED;
        statusLineEnd = lf > 0 && b[lf - 1] == '\r' ? lf - 1 : lf;
        if (!statusLine(b, statusLineEnd)) return REFUSED;
        if (status < 200) return REFUSED; // 1xx: interim answers and 101 are Netty's path
        boolean close = false, keepAliveToken = false, chunked = false, te = false;
        long contentLength = -1;
        lineCount = 0;
        lastVia = -1;
        int pos = lf + 1;
        while (true) {
            if (pos >= n) return INCOMPLETE;
            byte first = b[pos];
            if (first == '\n' || first == '\r') { // the blank line
                if (first == '\n') {
                    headLen = pos + 1;
                    break;
                }
                if (pos + 1 >= n) return INCOMPLETE;
                if (b[pos + 1] != '\n') return REFUSED;
                headLen = pos + 2;
                break;
            }
            if (lineCount == MAX_LINES) return REFUSED;
            // the name: token characters up to ':' (a line starting with SP or HTAB, obsolete folding, fails here)
            int i = pos;
            while (i < n) {
                int c = b[i];
                if (c == ':') break;
                if (!token((byte) c)) return REFUSED;
                i++;
            }
            if (i >= n) return INCOMPLETE;
            int colon = i;
            if (colon == pos) return REFUSED;
            int next = lineFeed(b, colon + 1, n);
            if (next < 0) return next == -1 ? INCOMPLETE : REFUSED;
            int le = b[next - 1] == '\r' ? next - 1 : next;
            int kind = COPY;
            switch (colon - pos) {
                case 2 -> kind = is(b, pos, "te") ? DROP : COPY;
                case 3 -> kind = is(b, pos, "via") ? VIA : COPY;
                case 7 -> kind = is(b, pos, "trailer") || is(b, pos, "upgrade") ? DROP : COPY;
                case 10 -> {
                    if (is(b, pos, "connection")) {
                        kind = DROP;
                        int vs = skipWs(b, colon + 1, le), ve = trimWs(b, vs, le);
                        if (eq(b, vs, ve, "close")) close = true;
                        else if (eq(b, vs, ve, "keep-alive")) keepAliveToken = true;
                        else return REFUSED; // names other headers to drop, or a list: Netty's path
                    } else if (is(b, pos, "keep-alive")) {
                        kind = DROP;
                    }
                }
                case 14 -> {
                    if (is(b, pos, "content-length")) {
                        if (contentLength >= 0) return REFUSED; // repeated: Netty's path decides
                        int vs = skipWs(b, colon + 1, le);
                        contentLength = digits(b, vs, trimWs(b, vs, le));
                        if (contentLength < 0) return REFUSED;
                    }
                }
                case 16 -> kind = is(b, pos, "proxy-connection") ? DROP : COPY;
                case 17 -> {
                    if (is(b, pos, "transfer-encoding")) {
                        int vs = skipWs(b, colon + 1, le);
                        if (te || !eq(b, vs, trimWs(b, vs, le), "chunked")) return REFUSED;
                        te = chunked = true;
                        kind = DROP; // re-added as exactly "chunked"
                    }
                }
                default -> { }
            }
            if (kind == VIA) lastVia = lineCount;
            lines[lineCount * 3] = pos;
            lines[lineCount * 3 + 1] = le;
            lines[lineCount * 3 + 2] = kind;
            lineCount++;
            pos = next + 1;
        }
        upstreamKeepAlive = http10 ? keepAliveToken && !close : !close;
        chunkedHeader = chunked;
        if (headRequest || status == 204 || status == 304) {
            body = Body.NONE;
        } else if (chunked) {
            if (contentLength >= 0) return REFUSED; // both: Netty's path (it drops Content-Length)
            body = Body.CHUNKED;
        } else if (contentLength >= 0) {
            body = contentLength == 0 ? Body.NONE : Body.LENGTH;
            length = contentLength;
        } else {
            return REFUSED; // ends when the connection does: Netty's path re-frames it for the client
        }
        return headLen;
    }

    /**
     * The LF ending the line whose text starts at {@code from}, checking on the way that the text holds only visible
     * characters, SP, HTAB and obs-text (no control character, no DEL, no CR but right before the LF); -1 when the
     * bytes end first, -2 on a character refused.
     */
    private static int lineFeed(byte[] b, int from, int n) {
        for (int i = from; i < n; i++) {
            int c = b[i] & 0xff;
            if (visible(c)) continue;
            if (c == '\n') return i;
            if (c != '\r') return -2;
            if (i + 1 >= n) return -1;
            if (b[i + 1] != '\n') return -2;
        }
        return -1;
    }

    /**
     * The head to send to an HTTP/1.1 client: HTTP/1.1 status line, the upstream's lines less the hop-by-hop
     * ones, Transfer-Encoding when chunked, Via appended, Connection: close when the client's connection ends,
     * and a sticky Set-Cookie when given.
     */
    ByteBuf rewrite(ByteBufAllocator alloc, boolean clientKeepAlive, String setCookie) {
        // each line may gain a CR (LF-only lines become CR LF), plus the lines added below
        int max = headLen + lineCount + 2 + 128 + (setCookie == null ? 0 : setCookie.length() + 16);
        if (out.length < max) out = new byte[Math.max(max, out.length * 2)];
        int w = put(HTTP11, 0, HTTP11.length, 0);
        w = put(head, 8, statusLineEnd - 8, w); // after "HTTP/1.x"
        w = put(CRLF, 0, 2, w);
        for (int i = 0; i < lineCount; i++) {
            int s = lines[i * 3], e = lines[i * 3 + 1], kind = lines[i * 3 + 2];
            if (kind == DROP) continue;
            w = put(head, s, e - s, w);
            byte[] end = kind == VIA && i == lastVia ? (http10 ? APPEND_10 : APPEND_11) : CRLF;
            w = put(end, 0, end.length, w);
        }
        if (chunkedHeader) w = put(TE_CHUNKED, 0, TE_CHUNKED.length, w);
        if (lastVia < 0) w = put(http10 ? VIA_10 : VIA_11, 0, VIA_11.length, w);
        if (!clientKeepAlive) w = put(CONNECTION_CLOSE, 0, CONNECTION_CLOSE.length, w);
        if (setCookie != null) {
            w = put(SET_COOKIE, 0, SET_COOKIE.length, w);
            for (int i = 0; i < setCookie.length(); i++) out[w++] = (byte) setCookie.charAt(i); // ASCII (a cookie encoder's output)
            w = put(CRLF, 0, 2, w);
        }
        w = put(CRLF, 0, 2, w);
        return alloc.directBuffer(w).writeBytes(out, 0, w);
    }

    private int put(byte[] src, int from, int len, int w) {
        System.arraycopy(src, from, out, w, len);
        return w + len;
    }

    private boolean statusLine(byte[] b, int e) {
        if (e < 12 || b[8] != ' ' || (e > 12 && b[12] != ' ')) return false;
        for (int i = 0; i < 7; i++) {
            if (b[i] != HTTP11[i]) return false;
        }
        byte minor = b[7];
        if (minor != '0' && minor != '1') return false;
        http10 = minor == '0';
        int code = 0;
        for (int i = 9; i < 12; i++) {
            byte d = b[i];
            if (d < '0' || d > '9') return false;
            code = code * 10 + (d - '0');
        }
        if (code < 100) return false;
        status = code;
        return true;
    }

    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (int c = '!'; c < 0x7f; c++) TOKEN[c] = "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }

    /** An RFC 9110 token character (a field name's). */
    static boolean token(byte c) {
        return c >= 0 && TOKEN[c];
    }

    /** A field value character: visible, SP, HTAB, obs-text; no control character, no DEL (CR and LF included). */
    static boolean visible(int c) {
        return c >= ' ' && c != 0x7f || c == '\t';
    }

    private static int skipWs(byte[] b, int s, int e) {
        while (s < e && (b[s] == ' ' || b[s] == '\t')) s++;
        return s;
    }

    private static int trimWs(byte[] b, int s, int e) {
        while (e > s && (b[e - 1] == ' ' || b[e - 1] == '\t')) e--;
        return e;
    }

    /** The name at {@code s} equals {@code lower} ignoring ASCII case (lengths already equal). */
    private static boolean is(byte[] b, int s, String lower) {
        for (int i = 0; i < lower.length(); i++) {
            if ((b[s + i] | 0x20) != lower.charAt(i)) return false;
        }
        return true;
    }

    private static boolean eq(byte[] b, int s, int e, String lower) {
        return e - s == lower.length() && is(b, s, lower);
    }

    /** A non-negative decimal of at most 18 digits, else -1. */
    private static long digits(byte[] b, int s, int e) {
        if (s == e || e - s > 18) return -1;
        long v = 0;
        for (int i = s; i < e; i++) {
            byte d = b[i];
            if (d < '0' || d > '9') return -1;
            v = v * 10 + (d - '0');
        }
        return v;
    }
}
