package io.tandem.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.List;

/** Header rewriting between client and upstream: hop-by-hop headers dropped, X-Forwarded-* and Via added. */
final class ProxyHeaders {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    /** The verified client certificate's subject (mutual TLS); never taken from the client. */
    static final AsciiString X_CLIENT_CERT_SUBJECT = AsciiString.cached("x-client-cert-subject");
    static final String VIA = "1.1 tandem";
    private static final AsciiString VIA_11 = AsciiString.cached(VIA);
    private static final AsciiString VIA_10 = AsciiString.cached("1.0 tandem");
    private static final AsciiString PROTO_HTTP = AsciiString.cached("http");
    private static final AsciiString PROTO_HTTPS = AsciiString.cached("https");

    private ProxyHeaders() {}

    /**
     * Prepares a client's request for the upstream: HTTP/1.1 with keep-alive whatever the client asked
     * (the client's own connection is handled by the gateway). Measured-hot: once per request.
     */
    static void toUpstream(HttpRequest req, String clientIp, boolean https, String clientCertSubject) {
        HttpHeaders h = req.headers();
        boolean chunked = chunked(h);
        removeHopByHop(h);
        dropClaimedSubject(h);
        if (clientCertSubject != null) h.set(X_CLIENT_CERT_SUBJECT, clientCertSubject); // after the hop-by-hop removal a client controls
        if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        h.remove(HttpHeaderNames.EXPECT); // the gateway answers 100-continue itself
        String host = h.get(HttpHeaderNames.HOST);
        String xff = h.get(X_FORWARDED_FOR);
        h.set(X_FORWARDED_FOR, xff == null ? clientIp : xff + ", " + clientIp);
        h.set(X_FORWARDED_PROTO, https ? PROTO_HTTPS : PROTO_HTTP);
        if (host != null) {
            h.set(X_FORWARDED_HOST, host);
        } else {
            h.remove(X_FORWARDED_HOST); // the gateway's to say, never the client's
        }
        appendVia(h, req.protocolVersion());
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /**
     * A client's own X-Client-Cert-Subject, also spelt with '_', and its X-Forwarded-* spelt with '_' (which CGI-style
     * upstreams read as the same names as the gateway's) are dropped.
     */
    private static void dropClaimedSubject(HttpHeaders h) {
        if (h.isEmpty()) return;
        List<String> claimed = null;
        for (java.util.Map.Entry<String, String> e : h) {
            String n = e.getKey();
            if (n.length() == X_CLIENT_CERT_SUBJECT.length() && n.replace('_', '-').equalsIgnoreCase("x-client-cert-subject")
                    || n.indexOf('_') >= 0 && n.regionMatches(true, 0, "x_forwarded_", 0, 12)) {
                if (claimed == null) claimed = new java.util.ArrayList<>();
                claimed.add(n);
            }
        }
        if (claimed != null) claimed.forEach(h::remove);
    }

    /** Prepares an upstream's response for the client. */
    static void toClient(HttpResponse resp, boolean clientKeepAlive) {
        HttpHeaders h = resp.headers();
        boolean chunked = chunked(h);
        removeHopByHop(h);
        if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        appendVia(h, resp.protocolVersion());
        if (!clientKeepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    private static void appendVia(HttpHeaders h, HttpVersion from) {
        String via = h.get(HttpHeaderNames.VIA);
        AsciiString mine = from.majorVersion() == 1 && from.minorVersion() == 0 ? VIA_10 : VIA_11;
        if (via == null) {
            h.set(HttpHeaderNames.VIA, mine);
        } else {
            h.set(HttpHeaderNames.VIA, via + ", " + mine);
        }
    }

    /** Transfer-Encoding with chunked in it; the value scan (an iterator per call) only when the header is there at all. */
    private static boolean chunked(HttpHeaders h) {
        return h.contains(HttpHeaderNames.TRANSFER_ENCODING) && h.containsValue(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED, true);
    }

    /** RFC 9110 7.6.1: Connection and the headers it names are for one hop only. Transfer-Encoding is re-framed by the codecs. */
    private static void removeHopByHop(HttpHeaders h) {
        if (h.contains(HttpHeaderNames.CONNECTION)) {
            List<String> named = h.getAll(HttpHeaderNames.CONNECTION);
            // the usual lone "keep-alive" or "close" names no header but those removed below: no split, no copies
            if (named.size() > 1 || !named.get(0).equalsIgnoreCase("keep-alive") && !named.get(0).equalsIgnoreCase("close")) {
                for (String value : named) {
                    for (String name : value.split(",")) {
                        String n = name.trim();
                        if (!n.isEmpty()) h.remove(n);
                    }
                }
            }
            h.remove(HttpHeaderNames.CONNECTION);
        }
        h.remove(HttpHeaderNames.KEEP_ALIVE);
        h.remove(PROXY_CONNECTION);
        h.remove(HttpHeaderNames.TE);
        h.remove(HttpHeaderNames.TRAILER);
        h.remove(HttpHeaderNames.UPGRADE);
        h.remove(HttpHeaderNames.TRANSFER_ENCODING);
    }
}
