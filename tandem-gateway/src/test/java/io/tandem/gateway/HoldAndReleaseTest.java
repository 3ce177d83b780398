package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A planned switchover: hold, move the primary, release; clients see a pause, not a failure. */
class HoldAndReleaseTest {
    private GatewayFixture fx;

    @AfterEach
    void stop() {
        if (fx != null) fx.close();
    }

    private void start(String extra) throws Exception {
        fx = new GatewayFixture(extra);
        fx.primary("kyiv", 1, "kyiv=healthy", "frankfurt=healthy");
        await().atMost(Duration.ofSeconds(5)).until(() -> fx.get("/").body().startsWith("kyiv"));
    }

    /** Adds the runbooks array to both fake clusters' current answer. */
    private void runbooks(String json) {
        for (FakeCluster c : List.of(fx.clusterKyiv, fx.clusterFrankfurt)) {
            String b = c.body.get();
            c.body.set(b.substring(0, b.lastIndexOf('}')) + ",\"runbooks\":" + json + "}");
        }
    }

    @Test
    void aSwitchoverInTheClusterStateHoldsRequestsUntilItEndsThenTheyReachTheNewPrimary() throws Exception {
        start("hold_max: 10s");
        fx.primary("kyiv", 1, "kyiv=healthy", "frankfurt=healthy");
        runbooks("[{\"id\":1,\"kind\":\"switchover\",\"resource\":\"db\",\"status\":\"RUNNING\",\"steps\":[{\"step\":\"requested\"},{\"step\":\"stop-writes\"}]}]");
        await("the gateway holds").atMost(Duration.ofSeconds(5)).until(() -> fx.admin("GET", "/v1/gateway").body().contains("\"held\" : true"));
        java.util.concurrent.CompletableFuture<HttpResponse<String>> held = fx.client.sendAsync(
                HttpRequest.newBuilder(fx.uri("/write")).timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300); // bounded look at something that must not happen yet: the held request is not answered
        assertThat(held).isNotDone();
        fx.primary("frankfurt", 2, "kyiv=healthy", "frankfurt=healthy");
        runbooks("[{\"id\":1,\"kind\":\"switchover\",\"resource\":\"db\",\"status\":\"SUCCEEDED\",\"steps\":[{\"step\":\"stop-writes\"},{\"step\":\"promote\"},{\"step\":\"end\"}]}]");
        HttpResponse<String> r = held.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("frankfurt");
        assertThat(fx.admin("GET", "/v1/gateway").body()).contains("\"held\" : false");
    }

    @Test
    void concurrentClientsSeeZeroFailuresWhileThePrimaryMovesDuringAHold() throws Exception {
        start("hold_max: 10s");
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger ok = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                done.add(clients.submit(() -> {
                    while (running.get()) {
                        try {
                            HttpResponse<String> r = fx.client.send(HttpRequest.newBuilder(fx.uri("/write")).timeout(Duration.ofSeconds(15))
                                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 200) ok.incrementAndGet();
                            else failures.add(r.statusCode() + " " + r.body());
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                }));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > 50);

            assertThat(fx.admin("POST", "/v1/gateway/hold").body()).contains("\"held\" : true");
            await().atMost(Duration.ofSeconds(5)).until(() -> fx.gateway.waiting() >= 8);
            fx.primary("frankfurt", 2, "kyiv=healthy", "frankfurt=healthy");
            await().atMost(Duration.ofSeconds(5)).until(() -> fx.admin("GET", "/v1/gateway").body().contains("\"epoch\" : 2"));
            fx.kyiv.server.stop(2); // the old primary is demoted: nothing may reach it any more
            int atKyiv = fx.kyiv.seen.size();
            fx.admin("POST", "/v1/gateway/release");
            int before = ok.get();
            await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > before + 100);
        } finally {
            running.set(false);
            for (Future<?> f : done) f.get();
            clients.shutdownNow();
        }
        assertThat(failures).isEmpty();
        assertThat(fx.frankfurt.seen).hasSizeGreaterThan(100);
    }

    @Test
    void requestHeldLongerThanHoldMaxGets503WithRetryAfter() throws Exception {
        start("hold_max: 300ms");
        fx.gateway.hold();

        HttpResponse<String> r = fx.get("/");

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("retry-after")).hasValue("1");
        assertThat(r.body()).contains("hold_max");
    }

    @Test
    void requestsBeyondTheHoldQueueGet503AtOnce() throws Exception {
        start("hold_max: 5s\nhold_queue: 1");
        fx.gateway.hold();
        var first = fx.client.sendAsync(HttpRequest.newBuilder(fx.uri("/")).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> fx.gateway.waiting() == 1);

        HttpResponse<String> second = fx.get("/");
        fx.gateway.release();

        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(second.body()).contains("hold_queue");
        assertThat(first.get().statusCode()).isEqualTo(200);
    }
}
