package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** HTTP/1.1 through the proxy: headers, keep-alive, chunked bodies, 100-continue, streaming with backpressure, retries. */
class HttpSemanticsTest {
    private static GatewayFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new GatewayFixture("");
        fx.primary("kyiv", 1, "kyiv=healthy", "frankfurt=healthy");
        await().atMost(Duration.ofSeconds(5)).until(() -> fx.get("/").body().startsWith("kyiv"));
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @BeforeEach
    void clear() {
        fx.kyiv.seen.clear();
    }

    @Test
    void forwardedHeadersAndViaAreAddedAndHopByHopHeadersDropped() throws Exception {
        HttpResponse<String> r = fx.client.send(HttpRequest.newBuilder(fx.uri("/a?b=c")).header("X-Forwarded-For", "10.0.0.9")
                .header("X-Custom", "kept").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("via")).hasValue("1.1 tandem");
        TestUpstream.Seen seen = fx.kyiv.seen.get(0);
        assertThat(seen.path()).isEqualTo("/a?b=c");
        assertThat(seen.header("x-forwarded-for")).isEqualTo("10.0.0.9, 127.0.0.1");
        assertThat(seen.header("x-forwarded-proto")).isEqualTo("http");
        assertThat(seen.header("x-forwarded-host")).isEqualTo("127.0.0.1:" + fx.httpPort);
        assertThat(seen.header("via")).isEqualTo("1.1 tandem");
        assertThat(seen.header("x-custom")).isEqualTo("kept");
    }

    @Test
    void clientConnectionIsKeptAliveAcrossRequestsIncludingPipelinedOnes() throws Exception {
        try (Socket s = new Socket("127.0.0.1", fx.httpPort)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(RawHttp.readResponse(in)).startsWith("HTTP/1.1 200").endsWith("kyiv 0\n");
            out.write("GET /2 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: x\r\n\r\nGET /4 HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertThat(RawHttp.readResponse(in)).startsWith("HTTP/1.1 200").endsWith("kyiv 0\n");
            String head = RawHttp.readResponse(in);
            assertThat(head).startsWith("HTTP/1.1 200").endsWith("\r\n\r\n"); // no body after a HEAD
            assertThat(RawHttp.readResponse(in)).startsWith("HTTP/1.1 200").endsWith("kyiv 0\n");
        }
        assertThat(fx.kyiv.seen).extracting(TestUpstream.Seen::path).containsExactly("/1", "/2", "/3", "/4");
    }

    @Test
    void chunkedRequestAndResponseBodiesPassThrough() throws Exception {
        byte[] body = new byte[300_000];
        HttpResponse<String> r = fx.client.send(HttpRequest.newBuilder(fx.uri("/up/chunked"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("kyiv 300000\n").endsWith("line 99\n");
        assertThat(fx.kyiv.seen.get(0).header("transfer-encoding")).isEqualTo("chunked");
    }

    @Test
    void expect100ContinueIsAnsweredBeforeTheBodyIsSent() throws Exception {
        try (Socket s = new Socket("127.0.0.1", fx.httpPort)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("PUT /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(RawHttp.readResponse(in)).startsWith("HTTP/1.1 100 Continue");
            out.write("hello".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(RawHttp.readResponse(in)).startsWith("HTTP/1.1 200").endsWith("kyiv 5\n");
        }
    }

    @Test
    void largeUploadStreamsWithBoundedBufferingWhenTheUpstreamReadsSlowly() throws Exception {
        long total = 256L << 20;
        CountDownLatch resume = new CountDownLatch(1);
        fx.kyiv.pauseAfter = 1 << 20;
        fx.kyiv.pause = resume;
        AtomicLong sent = new AtomicLong();
        try (Socket s = new Socket("127.0.0.1", fx.httpPort)) {
            s.setSoTimeout(60_000);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + total + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    byte[] chunk = new byte[64 * 1024];
                    while (sent.get() < total) {
                        out.write(chunk);
                        sent.addAndGet(chunk.length);
                    }
                } catch (Exception e) {
                    sent.set(-1);
                }
            });
            // Wait until the client is blocked: nothing more gets through while the upstream does not read.
            long[] last = {-2};
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
                long now = sent.get();
                boolean stalled = now == last[0];
                last[0] = now;
                return stalled;
            });
            long inFlight = sent.get() - fx.kyiv.bodyBytesRead.get();
            assertThat(inFlight).as("bytes buffered between client and upstream").isBetween(0L, 48L << 20);

            resume.countDown();
            writer.join(60_000);
            assertThat(RawHttp.readResponse(s.getInputStream())).startsWith("HTTP/1.1 200").endsWith("kyiv " + total + "\n");
        } finally {
            fx.kyiv.pause = null;
            resume.countDown();
        }
    }

    @Test
    void idempotentAndUnsentRequestsAreRetriedOnAnotherInstanceWhenConnectFails() throws Exception {
        for (int i = 0; i < 6; i++) {
            assertThat(fx.get("/flaky/" + i).body()).startsWith("frankfurt");
            HttpResponse<String> post = fx.client.send(HttpRequest.newBuilder(fx.uri("/flaky/p" + i)).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).as("a POST whose connect failed never reached anyone: safe to send elsewhere").isEqualTo(200);
        }
    }

    @Test
    void postThatMayHaveReachedTheUpstreamIsNeverRetriedButGetIs() throws Exception {
        int posts = 6;
        int failed = 0;
        int frankfurtBefore = fx.aaFrankfurt.seen.size();
        for (int i = 0; i < posts; i++) {
            HttpResponse<String> r = fx.client.send(HttpRequest.newBuilder(fx.uri("/slam/p")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 502) failed++;
            else assertThat(r.statusCode()).isEqualTo(200);
        }
        assertThat(failed).isPositive();
        assertThat(fx.slammer.requests.get()).isEqualTo(failed);
        assertThat(fx.aaFrankfurt.seen.size() - frankfurtBefore).isEqualTo(posts - failed);

        for (int i = 0; i < 6; i++) {
            assertThat(fx.get("/slam/g").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void metricsCountRequestsByRouteAndStatus() throws Exception {
        fx.get("/m");
        String metrics = fx.admin("GET", "/metrics").body();

        assertThat(metrics).contains("tandem_gateway_requests_total{route=\"*/\",status=\"200\"}")
                .contains("tandem_gateway_request_duration_seconds_bucket{route=\"*/\"")
                .contains("tandem_gateway_held_requests");
    }
}
