package io.tandem.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A real HTTP/1.1 upstream (JDK HttpServer) that answers with its site's name and records what reached it. */
final class TestUpstream implements AutoCloseable {
    /** A request that reached this upstream with its whole body. */
    record Seen(String method, String path, Map<String, List<String>> headers, long bodyBytes) {
        String header(String name) {
            List<String> v = headers.get(name.substring(0, 1).toUpperCase() + name.substring(1).toLowerCase());
            return v == null ? null : String.join(",", v);
        }
    }

    final String site;
    final HttpServer server;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final AtomicInteger started = new AtomicInteger();
    final AtomicLong bodyBytesRead = new AtomicLong();
    /** When set, the handler waits on it after reading this many body bytes. */
    volatile CountDownLatch pause;
    volatile long pauseAfter = Long.MAX_VALUE;
    final Map<String, String> responseHeaders = new ConcurrentHashMap<>();
    /** The status of answers to /healthz (the health check's path in tests), and of every other answer. */
    volatile int healthStatus = 200;
    volatile int status = 200;
    final AtomicInteger healthChecks = new AtomicInteger();

    TestUpstream(String site, String address) throws IOException {
        this(site, address, null);
    }

    /** With {@code tls}, an HTTPS upstream presenting that context's certificate. */
    TestUpstream(String site, String address, javax.net.ssl.SSLContext tls) throws IOException {
        this(site, address, tls, false);
    }

    /** Subjects of the client certificates of the requests that reached this upstream over HTTPS ("" : none), in order. */
    final List<String> clientSubjects = new CopyOnWriteArrayList<>();

    /**
     * With {@code tls}, an HTTPS upstream presenting that context's certificate; with {@code needClientAuth} a client
     * must present a certificate that context's trust managers accept, else the handshake fails.
     */
    TestUpstream(String site, String address, javax.net.ssl.SSLContext tls, boolean needClientAuth) throws IOException {
        this.site = site;
        InetSocketAddress at = new InetSocketAddress(InetAddress.getByName(address), 0);
        if (tls == null) {
            this.server = HttpServer.create(at, 100);
        } else {
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(at, 100);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls) {
                @Override
                public void configure(com.sun.net.httpserver.HttpsParameters params) {
                    javax.net.ssl.SSLParameters p = getSSLContext().getDefaultSSLParameters();
                    p.setNeedClientAuth(needClientAuth);
                    params.setSSLParameters(p);
                }
            });
            this.server = https;
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    String address() {
        return server.getAddress().getHostString() + ":" + port();
    }

    private void handle(HttpExchange ex) throws IOException {
        if (ex.getRequestURI().getPath().equals("/healthz")) {
            healthChecks.incrementAndGet();
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(healthStatus, -1);
            ex.close();
            return;
        }
        started.incrementAndGet();
        long n = 0;
        try (InputStream in = ex.getRequestBody()) {
            byte[] buf = new byte[64 * 1024];
            int r;
            while ((r = in.read(buf)) > 0) {
                n += r;
                bodyBytesRead.addAndGet(r);
                CountDownLatch p = pause;
                if (p != null && n >= pauseAfter) {
                    try {
                        p.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        } catch (IOException e) {
            ex.close(); // truncated body: never counted as a request that reached us
            return;
        }
        if (ex instanceof com.sun.net.httpserver.HttpsExchange https) {
            String subject;
            try {
                subject = https.getSSLSession().getPeerPrincipal().getName();
            } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
                subject = "";
            }
            clientSubjects.add(subject);
        }
        seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().toString(), Map.copyOf(ex.getRequestHeaders()), n));
        byte[] body = (site + " " + n + "\n").getBytes(StandardCharsets.UTF_8);
        responseHeaders.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        boolean chunked = ex.getRequestURI().getPath().endsWith("/chunked");
        ex.sendResponseHeaders(status, ex.getRequestMethod().equals("HEAD") ? -1 : chunked ? 0 : body.length);
        if (!ex.getRequestMethod().equals("HEAD")) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
                if (chunked) {
                    for (int i = 0; i < 100; i++) out.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
