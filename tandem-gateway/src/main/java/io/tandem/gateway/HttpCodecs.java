package io.tandem.gateway;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;

/** The client-side HTTP codec, made strict where a proxy must be: it refuses what could smuggle a request. */
final class HttpCodecs {
    private HttpCodecs() {}

    /** Marks the cause of a request refused because it had both Content-Length and Transfer-Encoding. */
    static final class AmbiguousLengthException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        AmbiguousLengthException() {
            super("both Content-Length and Transfer-Encoding");
        }
    }

    /**
     * Netty accepts Content-Length together with Transfer-Encoding by dropping Content-Length (RFC 9112
     * allows it), but a proxy that forwards such a request lets two parsers disagree on where it ends:
     * request smuggling. We fail the message instead, so the handler answers 400 and never forwards it.
     */
    static final class RequestDecoder extends HttpRequestDecoder {
        RequestDecoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            super.handleTransferEncodingChunkedWithContentLength(message);
            message.setDecoderResult(DecoderResult.failure(new AmbiguousLengthException()));
        }
    }

    /** Knows whether the response answers a HEAD request, whose body is always empty whatever its headers say. */
    static final class ResponseEncoder extends HttpResponseEncoder {
        boolean head;

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            return head || super.isContentAlwaysEmpty(msg);
        }
    }

    /**
     * An upstream's responses where the byte-level path ({@link RawResponse}) does not take them: told whether the
     * request was HEAD, as Netty's client codec knows from the requests it encoded.
     */
    static final class ResponseDecoder extends HttpResponseDecoder {
        boolean head;

        ResponseDecoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            if (head && msg instanceof HttpResponse r && r.status().codeClass() != HttpStatusClass.INFORMATIONAL) return true;
            return super.isContentAlwaysEmpty(msg);
        }
    }
}
