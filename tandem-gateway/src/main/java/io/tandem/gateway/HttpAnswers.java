package io.tandem.gateway;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.charset.StandardCharsets;

/** What the HTTP frontend answers by itself (errors, with the reason in the body) and its cookie and retry rules. */
final class HttpAnswers {
    private HttpAnswers() {}

    /** An error answer that ends the connection: status, a plain-text reason, Via, and Retry-After when asked. */
    static FullHttpResponse error(HttpResponseStatus st, String why, boolean retryLater) {
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, st,
                Unpooled.copiedBuffer(st.code() + " " + st.reasonPhrase() + ": " + why + "\n", StandardCharsets.UTF_8));
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE).set(HttpHeaderNames.VIA, ProxyHeaders.VIA);
        if (retryLater) resp.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        return resp;
    }

    /** The status for a request the decoder refused: 414, 431, 413 for its limits, else 400. */
    static HttpResponseStatus statusFor(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        if (cause instanceof TooLongHttpHeaderException) return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        if (cause instanceof TooLongFrameException) return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
        return HttpResponseStatus.BAD_REQUEST;
    }

    /** The reason given to the client for a request the decoder refused. */
    static String message(Throwable cause) {
        return cause instanceof HttpCodecs.AmbiguousLengthException ? "both Content-Length and Transfer-Encoding (refused: request smuggling)"
                : "malformed request: " + cause.getMessage();
    }

    /** The value of the named cookie in the request's Cookie headers, or null. */
    static String cookieValue(HttpRequest req, String name) {
        for (String h : req.headers().getAll(HttpHeaderNames.COOKIE)) {
            for (io.netty.handler.codec.http.cookie.Cookie c : io.netty.handler.codec.http.cookie.ServerCookieDecoder.LAX.decode(h)) {
                if (c.name().equals(name)) return c.value();
            }
        }
        return null;
    }

    /** The Set-Cookie value that keeps a client on one instance: {@code name=value; Path=/; HttpOnly; SameSite=Lax}. */
    static String stickyCookie(String name, String value) {
        io.netty.handler.codec.http.cookie.DefaultCookie c = new io.netty.handler.codec.http.cookie.DefaultCookie(name, value);
        c.setPath("/");
        c.setHttpOnly(true);
        c.setSameSite(io.netty.handler.codec.http.cookie.CookieHeaderNames.SameSite.Lax);
        return io.netty.handler.codec.http.cookie.ServerCookieEncoder.STRICT.encode(c);
    }

    /**
     * An RFC 4514 name (a certificate's subject) as a header value: every character outside printable ASCII, CR and LF
     * among them, written as RFC 4514 escapes of its UTF-8 bytes ({@code \\0D}), so a name a CA signed can never add a
     * header line or reach the upstream cut to its low byte.
     */
    static String headerSafe(String name) {
        StringBuilder sb = null;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                if (sb != null) sb.append(c);
                continue;
            }
            if (sb == null) sb = new StringBuilder(name.length() + 16).append(name, 0, i);
            int cp = Character.codePointAt(name, i);
            if (Character.charCount(cp) == 2) i++;
            for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                sb.append('\\').append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
        }
        return sb == null ? name : sb.toString();
    }

    /** Methods whose request may be sent again after a connection failed before any response (RFC 9110 9.2.2). */
    static boolean idempotent(HttpMethod m) {
        return m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD) || m.equals(HttpMethod.OPTIONS)
                || m.equals(HttpMethod.PUT) || m.equals(HttpMethod.DELETE) || m.equals(HttpMethod.TRACE);
    }
}
