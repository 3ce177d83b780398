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
 * {@link #parse} answer false, and the caller hands the untouched bytes to Netty's decoder instead.
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

    /** Per header line: start, end (before CR LF), kind, as indexes into {@link #head}; reused. */
    private final int[] lines = new int[MAX_LINES * 3];
    private int lineCount;
    /**
     * The head's bytes, copied once (a memcpy) from the buffer: reading a direct buffer a byte at a time checks
     * bounds and reference count on every byte, which made parsing cost more than Netty's decoder. Grows as needed.
     */
    private byte[] head = new byte[1024];
    private int headLen;
    private int statusLineEnd;
    private int headEnd;
    private int status;
    private boolean http10;
    private boolean upstreamKeepAlive;
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

    /** Index just past the head's blank line in the buffer given to {@link #parse}. */
    int headEnd() {
        return headEnd;
    }

    /**
     * Index just past the blank line ending the head that starts at {@code from}, or -1 while incomplete.
     * Lines end in LF, CR LF accepted. Scans from {@code scanFrom} (where the previous call stopped, minus 3).
     */
    static int findHeadEnd(ByteBuf b, int from, int scanFrom) {
        int end = b.writerIndex();
        int i = Math.max(from, scanFrom);
        while (i < end) {
            int lf = b.indexOf(i, end, (byte) '\n');
            if (lf < 0) return -1;
            // the blank line: LF right after the previous LF, or after the previous LF and a CR
            if (lf > from && (b.getByte(lf - 1) == '\n' || (lf - 1 > from && b.getByte(lf - 1) == '\r' && b.getByte(lf - 2) == '\n'))) {
                return lf + 1;
            }
            i = lf + 1;
        }
        return -1;
    }

    /**
     * Reads the head in {@code b} from its reader index to {@code end} (from {@link #findHeadEnd}). False if this
     * response is not one the byte-level path takes; nothing is consumed either way.
     *
     * @param head whether the request was HEAD (no body, whatever the headers say)
     */
    boolean parse(ByteBuf in, int end, boolean headRequest) {
        headEnd = end;
        headLen = end - in.readerIndex();
        if (head.length < headLen) head = new byte[Math.max(headLen, head.length * 2)];
        in.getBytes(in.readerIndex(), head, 0, headLen);
        byte[] b = head;
        int lf = indexOf(b, 0, headLen, (byte) '\n');
        statusLineEnd = lineEnd(b, 0, lf);
        if (!statusLine(b, 0, statusLineEnd)) return false;
        if (status < 200) return false; // 1xx: interim answers and 101 are Netty's path
        boolean close = false, keepAliveToken = false, chunked = false, te = false;
        long contentLength = -1;
        lineCount = 0;
        lastVia = -1;
        int pos = lf + 1;
        while (true) {
            int next = indexOf(b, pos, headLen, (byte) '\n');
            int le = lineEnd(b, pos, next);
            if (le == pos) break; // the blank line
            if (lineCount == MAX_LINES) return false;
            byte first = b[pos];
            if (first == ' ' || first == '\t') return false; // obsolete line folding
            int colon = indexOf(b, pos, le, (byte) ':');
            if (colon <= pos || !token(b, pos, colon) || !visible(b, colon + 1, le)) return false;
            int kind = COPY;
            int vs = skipWs(b, colon + 1, le), ve = trimWs(b, vs, le);
            switch (colon - pos) {
                case 2 -> kind = is(b, pos, "te") ? DROP : COPY;
                case 3 -> kind = is(b, pos, "via") ? VIA : COPY;
                case 7 -> kind = is(b, pos, "trailer") || is(b, pos, "upgrade") ? DROP : COPY;
                case 10 -> {
                    if (is(b, pos, "connection")) {
                        kind = DROP;
                        if (eq(b, vs, ve, "close")) close = true;
                        else if (eq(b, vs, ve, "keep-alive")) keepAliveToken = true;
                        else return false; // names other headers to drop, or a list: Netty's path
                    } else if (is(b, pos, "keep-alive")) {
                        kind = DROP;
                    }
                }
                case 14 -> {
                    if (is(b, pos, "content-length")) {
                        if (contentLength >= 0) return false; // repeated: Netty's path decides
                        contentLength = digits(b, vs, ve);
                        if (contentLength < 0) return false;
                    }
                }
                case 16 -> kind = is(b, pos, "proxy-connection") ? DROP : COPY;
                case 17 -> {
                    if (is(b, pos, "transfer-encoding")) {
                        if (te || !eq(b, vs, ve, "chunked")) return false;
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
        if (headRequest || status == 204 || status == 304) {
            body = Body.NONE;
        } else if (chunked) {
            if (contentLength >= 0) return false; // both: Netty's path (it drops Content-Length)
            body = Body.CHUNKED;
        } else if (contentLength >= 0) {
            body = contentLength == 0 ? Body.NONE : Body.LENGTH;
            length = contentLength;
        } else {
            return false; // ends when the connection does: Netty's path re-frames it for the client
        }
        return true;
    }

    /**
     * The head to send to an HTTP/1.1 client: HTTP/1.1 status line, the upstream's lines less the hop-by-hop
     * ones, Transfer-Encoding when chunked, Via appended, Connection: close when the client's connection ends,
     * and a sticky Set-Cookie when given.
     */
    ByteBuf rewrite(ByteBufAllocator alloc, boolean clientKeepAlive, String setCookie) {
        int size = headLen + 64 + (setCookie == null ? 0 : setCookie.length() + 16);
        ByteBuf out = alloc.directBuffer(size);
        out.writeBytes(HTTP11);
        out.writeBytes(head, 8, statusLineEnd - 8); // after "HTTP/1.x"
        out.writeBytes(CRLF);
        for (int i = 0; i < lineCount; i++) {
            int s = lines[i * 3], e = lines[i * 3 + 1], kind = lines[i * 3 + 2];
            if (kind == DROP) continue;
            out.writeBytes(head, s, e - s);
            out.writeBytes(kind == VIA && i == lastVia ? (http10 ? APPEND_10 : APPEND_11) : CRLF);
        }
        if (body == Body.CHUNKED) out.writeBytes(TE_CHUNKED);
        if (lastVia < 0) out.writeBytes(http10 ? VIA_10 : VIA_11);
        if (!clientKeepAlive) out.writeBytes(CONNECTION_CLOSE);
        if (setCookie != null) {
            out.writeBytes(SET_COOKIE);
            out.writeCharSequence(setCookie, StandardCharsets.US_ASCII);
            out.writeBytes(CRLF);
        }
        out.writeBytes(CRLF);
        return out;
    }

    private boolean statusLine(byte[] b, int s, int e) {
        // HTTP/1.x SP 3DIGIT [SP reason]
        if (e - s < 12 || b[s + 8] != ' ' || (e - s > 12 && b[s + 12] != ' ')) return false;
        for (int i = 0; i < 7; i++) {
            if (b[s + i] != HTTP11[i]) return false;
        }
        byte minor = b[s + 7];
        if (minor != '0' && minor != '1') return false;
        http10 = minor == '0';
        int code = 0;
        for (int i = s + 9; i < s + 12; i++) {
            byte d = b[i];
            if (d < '0' || d > '9') return false;
            code = code * 10 + (d - '0');
        }
        if (code < 100) return false;
        status = code;
        return visible(b, s + 12, e);
    }

    private static int indexOf(byte[] b, int from, int to, byte c) {
        for (int i = from; i < to; i++) {
            if (b[i] == c) return i;
        }
        return -1;
    }

    /** End of the line whose LF is at {@code lf} (before a CR), or {@code start} (an empty line) when there is none. */
    private static int lineEnd(byte[] b, int start, int lf) {
        if (lf < 0) return start;
        return lf > start && b[lf - 1] == '\r' ? lf - 1 : lf;
    }

    /** Token characters only (a header name). What fails goes to Netty's path, which applies its own rules. */
    private static boolean token(byte[] b, int s, int e) {
        for (int i = s; i < e; i++) {
            int c = b[i] & 0xff;
            if (c >= 0x80 || !TOKEN[c]) return false;
        }
        return true;
    }

    /** A value or reason: visible characters, SP, HTAB, obs-text; no control character, no DEL. */
    private static boolean visible(byte[] b, int s, int e) {
        for (int i = s; i < e; i++) {
            int c = b[i] & 0xff;
            if ((c < ' ' && c != '\t') || c == 0x7f) return false;
        }
        return true;
    }

    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (int c = '!'; c < 0x7f; c++) TOKEN[c] = "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
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
