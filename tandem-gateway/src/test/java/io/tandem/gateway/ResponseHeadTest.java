package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The byte-level response path's head reading and rewriting, and where it leaves a response to Netty's decoder. */
class ResponseHeadTest {
    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static ResponseHead parsed(String head, boolean headRequest) {
        ResponseHead h = new ResponseHead();
        assertThat(h.parse(bytes(head + "BODY"), headRequest)).as("taken, with its length: %s", head).isEqualTo(head.length());
        return h;
    }

    private static String rewritten(String head, boolean clientKeepAlive, String cookie) {
        ByteBuf out = parsed(head, false).rewrite(ByteBufAllocator.DEFAULT, clientKeepAlive, cookie);
        try {
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    private static boolean taken(String head) {
        int r = new ResponseHead().parse(bytes(head), false);
        assertThat(r).as("complete: %s", head).isNotEqualTo(ResponseHead.INCOMPLETE);
        return r > 0;
    }

    @Test
    void aTypicalResponseHeadIsCopiedLessItsHopByHopLinesWithViaAdded() {
        String nginx = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 1024\r\n"
                + "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nETag: \"abc\"\r\n\r\n";
        ResponseHead h = parsed(nginx, false);
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.body()).isEqualTo(ResponseHead.Body.LENGTH);
        assertThat(h.length()).isEqualTo(1024);
        assertThat(h.upstreamKeepAlive()).isTrue();
        assertThat(rewritten(nginx, true, null)).isEqualTo("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\n"
                + "Content-Length: 1024\r\nETag: \"abc\"\r\nvia: 1.1 tandem\r\n\r\n");
    }

    @Test
    void chunkedIsReframedAsExactlyChunkedAndTheClientsCloseAndStickyCookieAreAdded() {
        String head = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: Chunked \r\nTE: trailers\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\n"
                + "Proxy-Connection: keep-alive\r\nX-A: 1\r\n\r\n";
        assertThat(parsed(head, false).body()).isEqualTo(ResponseHead.Body.CHUNKED);
        assertThat(rewritten(head, false, "tandem_web=ab12; Path=/")).isEqualTo("HTTP/1.1 404 Not Found\r\nX-A: 1\r\n"
                + "transfer-encoding: chunked\r\nvia: 1.1 tandem\r\nconnection: close\r\nset-cookie: tandem_web=ab12; Path=/\r\n\r\n");
    }

    @Test
    void viaIsAppendedToTheUpstreamsLastViaLine() {
        assertThat(rewritten("HTTP/1.1 200 OK\r\nVia: 1.1 a\r\nContent-Length: 0\r\nvia: 1.1 b\r\n\r\n", true, null))
                .isEqualTo("HTTP/1.1 200 OK\r\nVia: 1.1 a\r\nContent-Length: 0\r\nvia: 1.1 b, 1.1 tandem\r\n\r\n");
    }

    @Test
    void anHttp10UpstreamKeepsItsConnectionOnlyWhenItSaysSoAndItsVersionShowsInVia() {
        ResponseHead h = parsed("HTTP/1.0 200 OK\nContent-Length: 3\nConnection: Keep-Alive\n\n", false);
        assertThat(h.upstreamKeepAlive()).isTrue();
        assertThat(parsed("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", false).upstreamKeepAlive()).isFalse();
        assertThat(parsed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n", false).upstreamKeepAlive()).isFalse();
        assertThat(rewritten("HTTP/1.0 200 OK\nContent-Length: 3\n\n", true, null))
                .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nvia: 1.0 tandem\r\n\r\n");
    }

    @Test
    void headRequestsAnd204And304HaveNoBodyWhateverTheirHeadersSay() {
        assertThat(parsed("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true).body()).isEqualTo(ResponseHead.Body.NONE);
        assertThat(parsed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true).body()).isEqualTo(ResponseHead.Body.NONE);
        assertThat(parsed("HTTP/1.1 204 No Content\r\n\r\n", false).body()).isEqualTo(ResponseHead.Body.NONE);
        assertThat(parsed("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", false).body()).isEqualTo(ResponseHead.Body.NONE);
        assertThat(parsed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false).body()).isEqualTo(ResponseHead.Body.NONE);
    }

    @Test
    void whatThePathDoesNotFullyUnderstandIsLeftToNettysDecoder() {
        assertThat(taken("HTTP/1.1 100 Continue\r\n\r\n")).isFalse();
        assertThat(taken("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")).isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nConnection: close, x-secret\r\nContent-Length: 1\r\n\r\n")).as("names a header").isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 1\r\n\r\n")).as("obs-fold").isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n")).as("two lengths").isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")).as("both").isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")).as("a coding").isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n")).as("bad length").isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")).as("ends at close").isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\nContent-Length: 1\r\n\r\n")).as("control character").isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nX A: 1\r\nContent-Length: 1\r\n\r\n")).as("space in a name").isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\n: 1\r\nContent-Length: 1\r\n\r\n")).as("empty name").isFalse();
        assertThat(taken("HTTP/2.0 200 OK\r\nContent-Length: 1\r\n\r\n")).as("version").isFalse();
        assertThat(taken("HTTP/1.1 2000 OK\r\nContent-Length: 1\r\n\r\n")).as("status").isFalse();
        assertThat(taken("\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n")).as("leading blank line").isFalse();
        assertThat(taken("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n")).as("no reason phrase is fine").isTrue();
    }

    @Test
    void anIncompleteHeadAsksForMoreWhereverTheBytesEnd() {
        String head = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 4\r\n\r\n";
        ResponseHead h = new ResponseHead();
        for (int cut = 0; cut < head.length(); cut++) {
            assertThat(h.parse(bytes(head.substring(0, cut)), false)).as("cut %d", cut).isEqualTo(ResponseHead.INCOMPLETE);
        }
        assertThat(h.parse(bytes(head + "body"), false)).isEqualTo(head.length());
        assertThat(h.parse(bytes("HTTP/1.1 200 OK\nContent-Length: 1\n\nx"), false)).as("LF-only lines").isEqualTo(35);
    }

    @Test
    void aLongHeadIsReadWholeAndOneOverTheLimitIsLeftToNetty() {
        String big = "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(5000) + "\r\nContent-Length: 1\r\n\r\n";
        assertThat(new ResponseHead().parse(bytes(big + "x"), false)).isEqualTo(big.length());
        String huge = "HTTP/1.1 200 OK\r\n" + ("X-Big: " + "a".repeat(1000) + "\r\n").repeat(70);
        assertThat(new ResponseHead().parse(bytes(huge), false)).isEqualTo(ResponseHead.REFUSED);
    }

    @Test
    void aHeadAnswerKeepsSayingChunkedAndLfOnlyLinesGrowInTheRewrite() {
        ResponseHead h = new ResponseHead();
        String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertThat(h.parse(bytes(head), true)).isEqualTo(head.length());
        ByteBuf out = h.rewrite(ByteBufAllocator.DEFAULT, true, null);
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nvia: 1.1 tandem\r\n\r\n");
        out.release();
        // 120 LF-only lines: each gains a CR in the rewrite (once overflowed the rewrite's array)
        String lf = "HTTP/1.1 200 OK\nContent-Length: 1\n" + "a:b\n".repeat(120) + "X: " + "p".repeat(400) + "\n\n";
        assertThat(h.parse(bytes(lf + "x"), false)).isEqualTo(lf.length());
        out = h.rewrite(ByteBufAllocator.DEFAULT, false, "s=1");
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200 OK\r\nContent-Length: 1\r\na:b\r\n")
                .endsWith("via: 1.1 tandem\r\nconnection: close\r\nset-cookie: s=1\r\n\r\n");
        out.release();
    }

    @Test
    void aCertificateSubjectIsMadeSafeForAHeader() {
        assertThat(HttpAnswers.headerSafe("CN=a,O=b")).isEqualTo("CN=a,O=b");
        assertThat(HttpAnswers.headerSafe("CN=a\r\nX-Admin: true")).isEqualTo("CN=a\\0d\\0aX-Admin: true");
        assertThat(HttpAnswers.headerSafe("CN=\u010d\u010a")).as("never cut to a low byte").isEqualTo("CN=\\c4\\8d\\c4\\8a");
    }

    @Test
    void aBareCrInAValueIsLeftToNetty() {
        assertThat(taken("HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 1\r\n\r\n")).isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nX-A: a\u007fb\r\nContent-Length: 1\r\n\r\n")).as("DEL").isFalse();
        assertThat(taken("HTTP/1.1 200 OK\r\nX-A: caf\u00e9\tb\r\nContent-Length: 1\r\n\r\n")).as("obs-text and HTAB are fine").isTrue();
    }
}
