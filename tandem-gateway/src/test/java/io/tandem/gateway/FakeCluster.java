package io.tandem.gateway;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Serves GET /v1/cluster with a JSON body the test controls: the control plane's API contract, answered
 * by a tiny server instead of a Raft group.
 */
final class FakeCluster implements AutoCloseable {
    final HttpServer server;
    final AtomicReference<String> body = new AtomicReference<>("{\"leader\":\"\",\"source\":\"local\",\"resources\":[],\"sites\":[]}");

    FakeCluster(String address) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 50);
        server.setExecutor(Executors.newSingleThreadExecutor());
        server.createContext("/v1/cluster", ex -> {
            byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The answer of a leader: db's primary at {@code site} with {@code epoch}; sites' health as given ("kyiv=healthy"). */
    void set(String source, String primary, long epoch, String... health) {
        StringBuilder sites = new StringBuilder();
        for (String h : health) {
            String[] kv = h.split("=");
            if (!sites.isEmpty()) sites.append(',');
            sites.append("{\"name\":\"").append(kv[0]).append("\",\"role\":\"standby\",\"health\":\"").append(kv[1])
                    .append("\",\"fenced\":false,\"lastHeartbeatMs\":10}");
        }
        body.set("{\"cluster\":\"test\",\"leader\":\"witness\",\"source\":\"" + source + "\",\"resources\":[{\"name\":\"db\",\"primary\":\""
                + primary + "\",\"epoch\":" + epoch + ",\"inSync\":[\"kyiv\",\"frankfurt\"]}],\"sites\":[" + sites + "]}");
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
