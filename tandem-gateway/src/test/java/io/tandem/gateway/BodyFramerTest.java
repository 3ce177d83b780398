package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The byte-level path finds where a body ends however its bytes arrive, and refuses a malformed chunked body. */
class BodyFramerTest {
    private static final String CHUNKED = "5;name=\"v\"\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n";

    /** Feeds {@code body + extra} in pieces of {@code piece} bytes; the end index found, relative to the body's start. */
    private static int endOf(BodyFramer f, String bytes, int piece) {
        ByteBuf b = Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1);
        for (int from = 0; from < bytes.length(); from += piece) {
            int r = f.scan(b, from, Math.min(bytes.length(), from + piece));
            if (r != BodyFramer.MORE) return r;
        }
        return BodyFramer.MORE;
    }

    private static BodyFramer chunked() {
        BodyFramer f = new BodyFramer();
        f.chunked();
        return f;
    }

    @Test
    void aChunkedBodyWithExtensionsAndTrailersEndsAfterItsTrailerWhereverItIsSplit() {
        for (int piece = 1; piece <= CHUNKED.length(); piece++) {
            assertThat(endOf(chunked(), CHUNKED + "GARBAGE", piece)).as("pieces of %d", piece).isEqualTo(CHUNKED.length());
        }
        assertThat(endOf(chunked(), "0\r\n\r\n", 100)).isEqualTo(5);
        assertThat(endOf(chunked(), "0000000000000000005\r\nhello\r\n0\r\n\r\n", 3)).as("leading zeros").isEqualTo(33);
        assertThat(endOf(chunked(), "5 \t;x=\"y z\"\r\nhello\r\n0\r\n\r\n", 4)).as("whitespace, then an extension").isEqualTo(25);
        assertThat(endOf(chunked(), CHUNKED.substring(0, CHUNKED.length() - 1), 7)).as("incomplete").isEqualTo(BodyFramer.MORE);
    }

    @Test
    void aLengthBodyEndsAfterExactlyItsLength() {
        for (int piece = 1; piece <= 12; piece++) {
            BodyFramer f = new BodyFramer();
            f.length(10);
            assertThat(endOf(f, "0123456789NEXT", piece)).isEqualTo(10);
        }
        BodyFramer f = new BodyFramer();
        f.length(10);
        assertThat(endOf(f, "012345678", 4)).isEqualTo(BodyFramer.MORE);
    }

    @Test
    void malformedChunkedBodiesAreRefused() {
        assertThat(endOf(chunked(), "zz\r\nhello\r\n0\r\n\r\n", 100)).as("not hex").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "\r\n", 100)).as("no size").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "5\r\nhelloXX0\r\n\r\n", 100)).as("no CRLF after data").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "1000000000000000\r\n", 100)).as("too large").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "5\rX", 100)).as("CR without LF").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "-5\r\n", 100)).as("sign").isEqualTo(BodyFramer.MALFORMED);
    }

    /** What Netty's strict decoder refuses is refused here too: these bytes reach the client as they are. */
    @Test
    void whatAClientCouldFrameDifferentlyIsRefused() {
        assertThat(endOf(chunked(), "3\nabc\r\n0\r\n\r\n", 100)).as("bare LF after the size").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "3\r\nabc\n0\r\n\r\n", 100)).as("bare LF after the data").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "3\r\nabc\r\n0\r\n\n", 100)).as("bare LF ending the trailer").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "2;\nAB\r\n0\r\n\r\n", 100)).as("bare LF in an extension").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "2;a\rb\r\nAB\r\n0\r\n\r\n", 100)).as("bare CR in an extension").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "5 6\r\nhello\r\n0\r\n\r\n", 100)).as("two sizes").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "0\r\nX-A: a\u0000b\r\n\r\n", 100)).as("control character in a trailer").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "0\r\nX A: 1\r\n\r\n", 100)).as("not a token").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "0\r\nContent-Length: 5\r\n\r\n", 100)).as("a re-framing trailer").isEqualTo(BodyFramer.MALFORMED);
        assertThat(endOf(chunked(), "0\r\ntransfer-encoding: chunked\r\n\r\n", 100)).isEqualTo(BodyFramer.MALFORMED);
    }
}
