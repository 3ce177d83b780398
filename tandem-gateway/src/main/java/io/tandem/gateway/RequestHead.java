package io.tandem.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Iterator;
import java.util.Map;

/**
 * A client's request head written for the upstream straight from the decoded request, without changing its headers
 * and without Netty's encoder: the same rewriting as {@link ProxyHeaders#toUpstream} (hop-by-hop headers dropped,
 * X-Forwarded-For appended, X-Forwarded-Proto and -Host set, Via appended, HTTP/1.1), in one pass over the headers
 * into a reused array. For requests whose body, if any, is framed by Content-Length (its bytes then pass as they
 * are) and whose Connection header names nothing but keep-alive or close; see {@link #takes}.
 *
 * <p>Measured-hot: once per request; nothing allocated but the output buffer.
 */
final class RequestHead {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HTTP11 = " HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private byte[] out = new byte[1024];
    private int w;

    /**
     * Whether this path writes the request: no chunked body, no upgrade, no Expect (the gateway answers
     * 100-continue itself, so that path keeps Netty's objects), and a Connection header that names no other header.
     */
    static boolean takes(HttpRequest req, boolean upgrade, boolean expectContinue) {
        if (upgrade || expectContinue) return false;
        HttpHeaders h = req.headers();
        if (h.contains(HttpHeaderNames.TRANSFER_ENCODING)) return false;
        if (h.contains(HttpHeaderNames.CONNECTION)) {
            for (String v : h.getAll(HttpHeaderNames.CONNECTION)) {
                if (!v.trim().equalsIgnoreCase("keep-alive") && !v.trim().equalsIgnoreCase("close")) return false;
            }
        }
        return true;
    }

    /** The head for the upstream, in a new direct buffer. */
    ByteBuf encode(ByteBufAllocator alloc, HttpRequest req, String clientIp, boolean https, String clientCertSubject) {
        HttpHeaders h = req.headers();
        String host = h.get(HttpHeaderNames.HOST);
        String xff = h.get(ProxyHeaders.X_FORWARDED_FOR);
        String via = h.get(HttpHeaderNames.VIA);
        w = 0;
        put(req.method().name());
        put(" ");
        put(req.uri());
        put(HTTP11);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (dropped(name)) continue;
            put(name);
            put(": ");
            put(e.getValue());
            put(CRLF);
        }
        if (clientCertSubject != null) header("x-client-cert-subject", clientCertSubject);
        put("x-forwarded-for: ");
        if (xff != null) {
            put(xff);
            put(", ");
        }
        put(clientIp);
        put(CRLF);
        header("x-forwarded-proto", https ? "https" : "http");
        if (host != null) header("x-forwarded-host", host);
        put("via: ");
        if (via != null) {
            put(via);
            put(", ");
        }
        put(req.protocolVersion().equals(HttpVersion.HTTP_1_0) ? "1.0 tandem" : "1.1 tandem");
        put(CRLF);
        put(CRLF);
        return alloc.directBuffer(w).writeBytes(out, 0, w);
    }

    /**
     * Hop-by-hop headers (RFC 9110 7.6.1), Expect, the ones this head sets itself (X-Forwarded-Host too when the
     * request has no Host: it is the gateway's to say), and a client's own X-Client-Cert-Subject, each also spelt with '_'.
     */
    private static boolean dropped(CharSequence n) {
        return switch (n.length()) {
            case 2 -> is(n, "te");
            case 3 -> is(n, "via");
            case 6 -> is(n, "expect");
            case 7 -> is(n, "trailer") || is(n, "upgrade");
            case 10 -> is(n, "connection") || is(n, "keep-alive");
            case 15 -> is(n, "x-forwarded-for");
            case 16 -> is(n, "proxy-connection") || is(n, "x-forwarded-host");
            case 17 -> is(n, "x-forwarded-proto") || is(n, "transfer-encoding");
            case 21 -> is(n, "x-client-cert-subject");
            default -> false;
        };
    }

    /** Equal to {@code lower} ignoring ASCII case, '_' counting as '-' (lengths already equal). */
    private static boolean is(CharSequence n, String lower) {
        for (int i = 0; i < lower.length(); i++) {
            char c = n.charAt(i);
            char l = lower.charAt(i);
            if (c == '_' && l == '-') continue;
            if ((c | 0x20) != l) return false;
        }
        return true;
    }

    private void header(String name, String value) {
        put(name);
        put(": ");
        put(value);
        put(CRLF);
    }

    private void put(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, out, w, b.length);
        w += b.length;
    }

    /**
     * Characters as bytes (ISO-8859-1, as the decoder read them); one beyond ISO-8859-1 as '?', as Netty's encoder
     * writes it, never as its low byte (which could be a CR or LF).
     */
    private void put(CharSequence s) {
        int n = s.length();
        ensure(n);
        byte[] o = out;
        int at = w;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            o[at + i] = c <= 0xff ? (byte) c : (byte) '?';
        }
        w = at + n;
    }

    private void ensure(int n) {
        if (w + n > out.length) out = java.util.Arrays.copyOf(out, Math.max(w + n, out.length * 2));
    }
}
