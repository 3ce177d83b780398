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
        assertThat(endOf(chunked(), "3\nabc\n0\n\n", 100)).as("bare LF line ends").isEqualTo(9);
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
}
