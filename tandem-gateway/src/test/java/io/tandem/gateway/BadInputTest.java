package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import static org.awaitility.Awaitility.await;

/** Malformed and hostile requests get the right 4xx or a close, never reach an upstream, and the gateway keeps serving. */
class BadInputTest {
    private static GatewayFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new GatewayFixture("header_timeout: 500ms\nidle_timeout: 1s\nmax_header_size: 4kB\nmax_request_line: 1kB");
        fx.primary("kyiv", 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> fx.get("/").statusCode() == 200);
        fx.kyiv.seen.clear();
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @AfterEach
    void nothingReachedTheUpstreamAndTheGatewayStillServes() throws Exception {
        assertThat(fx.kyiv.seen).as("requests that reached the upstream whole").isEmpty();
        assertThat(fx.get("/after").statusCode()).isEqualTo(200);
        fx.kyiv.seen.clear();
    }

    private static String send(String raw) throws Exception {
        return RawHttp.exchange(fx.httpPort, raw);
    }

    @Test
    void malformedRequestLineIs400() throws Exception {
        assertThat(send("GARBAGE\r\n\r\n")).startsWith("HTTP/1.1 400 ");
    }

    @Test
    void requestLineLongerThanTheLimitIs414() throws Exception {
        assertThat(send("GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 414 ");
    }

    @Test
    void oversizedHeadersAre431() throws Exception {
        assertThat(send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(5000) + "\r\n\r\n")).startsWith("HTTP/1.1 431 ");
    }

    @Test
    void contentLengthWithTransferEncodingIsRefusedAsSmuggling() throws Exception {
        String r = send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 400 ").contains("Transfer-Encoding").doesNotContain("kyiv");
    }

    @Test
    void duplicateDifferingContentLengthsAre400() throws Exception {
        assertThat(send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde")).startsWith("HTTP/1.1 400 ");
    }

    @Test
    void transferEncodingOtherThanChunkedIs400() throws Exception {
        assertThat(send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")).startsWith("HTTP/1.1 400 ");
    }

    @Test
    void invalidChunkSizeIs400AndTheUpstreamNeverSeesAWholeRequest() throws Exception {
        String r = send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nxx\r\n0\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 400 ");
    }

    @Test
    void clientTooSlowToSendItsHeaderGets408() throws Exception {
        long t0 = System.nanoTime();
        String r = send("GET / HTTP/1.1\r\nHost: x\r\n"); // never finishes its header
        assertThat(r).startsWith("HTTP/1.1 408 ");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void clientStallingMidBodyGets408AndTheUpstreamNeverSeesAWholeRequest() throws Exception {
        long t0 = System.nanoTime();
        // 10 of the 100 body bytes it announced, then nothing (a slowloris upload)
        String r = send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
        assertThat(r).startsWith("HTTP/1.1 408 ").contains("no request body byte within idle_timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        Thread.sleep(200); // the check after each test: the truncated upload never completed at the upstream
    }

    @Test
    void aSlowButSteadyUploadIsNotCut() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", fx.httpPort)) {
            s.setSoTimeout(10_000);
            var out = s.getOutputStream();
            out.write("POST /steady HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            for (int i = 0; i < 6; i++) { // 6 bytes over ~1.8 s: each gap below idle_timeout (1 s), the whole above it
                Thread.sleep(300);
                out.write('x');
                out.flush();
            }
            String resp = RawHttp.readResponse(s.getInputStream());
            assertThat(resp).startsWith("HTTP/1.1 200 ");
        }
        assertThat(fx.kyiv.seen).singleElement().satisfies(x -> assertThat(x.bodyBytes()).isEqualTo(6));
        fx.kyiv.seen.clear(); // the one request here that is meant to arrive
    }
}
