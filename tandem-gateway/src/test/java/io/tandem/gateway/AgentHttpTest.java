package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cluster watcher's HTTP client against a real socket server that answers as scripted: bodies by length and
 * chunked, one kept connection for many requests, a connection the server closed meanwhile, broken answers, an agent
 * that never answers, and an abort from another thread.
 */
class AgentHttpTest {
    /** What the server answers to the n-th request (from 0) on the c-th connection (from 0); null: close without answering. */
    interface Script {
        String answer(int connection, int request, String requestHead);
    }

    private ServerSocket server;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    private AgentHttp client(Script script) throws IOException {
        server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.add(s);
                    int c = connections.getAndIncrement();
                    Thread h = new Thread(() -> serve(s, c, script));
                    h.setDaemon(true);
                    h.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return new AgentHttp("127.0.0.1", server.getLocalPort(), Duration.ofSeconds(1));
    }

    private void serve(Socket s, int c, Script script) {
        try (s) {
            InputStream in = s.getInputStream();
            for (int n = 0; ; n++) {
                String head = head(in);
                if (head == null) return;
                heads.add(head);
                String answer = script.answer(c, n, head);
                if (answer == null) return;
                s.getOutputStream().write(answer.getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int x = in.read();
            if (x < 0) return null;
            b.write(x);
            state = (x == '\r' && (state == 0 || state == 2)) || (x == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) server.close();
        for (Socket s : accepted) s.close();
    }

    private static String ok(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    @Test
    void manyPollsGoOverOneKeptConnection() throws IOException {
        try (AgentHttp http = client((c, n, head) -> ok("{\"version\":" + n + "}"))) {
            for (int i = 0; i < 5; i++) {
                AgentHttp.Response r = http.get("/v1/cluster?after=" + i + "&wait=1000", Duration.ofSeconds(2));
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).isEqualTo("{\"version\":" + i + "}");
            }
        }
        assertThat(connections.get()).isEqualTo(1);
        assertThat(heads.get(3)).startsWith("GET /v1/cluster?after=3&wait=1000 HTTP/1.1\r\n").contains("\r\nHost: 127.0.0.1:");
    }

    @Test
    void aChunkedBodyIsReadWhole() throws IOException {
        try (AgentHttp http = client((c, n, head) -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\n{\"a\":\r\n7;ext=1\r\n\"b\", \"c\r\n3\r\n\":1\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n")) {
            assertThat(http.get("/v1/cluster", Duration.ofSeconds(2)).text()).isEqualTo("{\"a\":\"b\", \"c\":1}");
            // and the connection is still usable after the trailer
            assertThat(http.get("/v1/cluster", Duration.ofSeconds(2)).text()).isEqualTo("{\"a\":\"b\", \"c\":1}");
        }
        assertThat(connections.get()).isEqualTo(1);
    }

    @Test
    void aKeptConnectionTheAgentClosedIsReplacedWithoutAnError() throws IOException {
        // the first connection answers once, then the agent closes it (as on its idle timeout) without saying so
        try (AgentHttp http = client((c, n, head) -> c == 0 && n == 1 ? null : ok("{\"c\":" + c + "}"))) {
            assertThat(http.get("/v1/cluster", Duration.ofSeconds(2)).text()).isEqualTo("{\"c\":0}");
            assertThat(http.get("/v1/cluster", Duration.ofSeconds(2)).text()).isEqualTo("{\"c\":1}");
        }
        assertThat(connections.get()).isEqualTo(2);
    }

    @Test
    void connectionCloseAndBodiesToTheEndAreHonoured() throws IOException {
        try (AgentHttp http = client((c, n, head) -> n == 0 ? "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno" : null)) {
            AgentHttp.Response r = http.get("/v1/cluster", Duration.ofSeconds(2));
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.text()).isEqualTo("no");
            assertThat(http.get("/v1/cluster", Duration.ofSeconds(2)).status()).isEqualTo(503); // on a new connection
        }
        assertThat(connections.get()).isEqualTo(2);
    }

    @Test
    void brokenAnswersFailWithWhatWasWrong() throws IOException {
        String[] answers = {"SSH-2.0-OpenSSH_9.2\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: x1\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n",
                "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"};
        try (AgentHttp http = client((c, n, head) -> answers[c])) {
            assertThatThrownBy(() -> http.get("/", Duration.ofSeconds(2))).isInstanceOf(IOException.class).hasMessageContaining("not an HTTP answer: SSH-2.0");
            assertThatThrownBy(() -> http.get("/", Duration.ofSeconds(2))).hasMessageContaining("bad Content-Length: x1");
            assertThatThrownBy(() -> http.get("/", Duration.ofSeconds(2))).hasMessageContaining("bad chunk size: zz");
            assertThatThrownBy(() -> http.get("/", Duration.ofSeconds(2))).hasMessageContaining("999999999 bytes is over");
            assertThatThrownBy(() -> http.get("/", Duration.ofSeconds(2))).hasMessageContaining("malformed header line: no colon here");
        }
        assertThat(connections.get()).as("a new connection after each failure").isEqualTo(5);
    }

    @Test
    void anAgentThatNeverAnswersTimesOut() throws IOException {
        try (AgentHttp http = client((c, n, head) -> {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        })) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> http.get("/v1/cluster", Duration.ofMillis(300))).isInstanceOf(SocketTimeoutException.class);
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(250L, 5_000L);
        }
    }

    @Test
    void abortFromAnotherThreadEndsALongPollAtOnceAndEveryLaterRequest() throws Exception {
        AgentHttp http = client((c, n, head) -> {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        java.util.concurrent.CompletableFuture<Throwable> failed = new java.util.concurrent.CompletableFuture<>();
        Thread poller = new Thread(() -> {
            try {
                http.get("/v1/cluster?after=1&wait=20000", Duration.ofSeconds(25));
                failed.complete(null);
            } catch (Throwable e) {
                failed.complete(e);
            }
        });
        poller.start();
        while (connections.get() == 0 || heads.isEmpty()) Thread.sleep(10);
        long t0 = System.nanoTime();
        http.abort();
        Throwable e = failed.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(e).isInstanceOf(IOException.class);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2_000);
        assertThatThrownBy(() -> http.get("/v1/cluster", Duration.ofSeconds(1))).hasMessage("closed");
        assertThat(connections.get()).as("no new connection after the abort").isEqualTo(1);
    }
}
