package io.tandem.agent;

import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The agent's HTTP API: GET /v1/cluster (JSON), GET /v1/local (this peer's own view), GET /metrics (Prometheus). */
final class ApiServer implements AutoCloseable {
    private final Server server;

    ApiServer(String host, int port, Supplier<Object> cluster, Supplier<Object> local, Supplier<String> metrics) {
        QueuedThreadPool pool = new QueuedThreadPool(16, 2);
        pool.setName("tandem-api");
        pool.setVirtualThreadsExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(pool);
        ServerConnector c = new ServerConnector(server, 1, 1);
        c.setHost(host);
        c.setPort(port);
        server.addConnector(c);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String path = Request.getPathInContext(request);
                if (!"GET".equals(request.getMethod())) {
                    return send(response, callback, 405, "application/json", "{\"error\":\"only GET is served here yet\"}\n");
                }
                try {
                    return switch (path) {
                        case "/v1/cluster" -> send(response, callback, 200, "application/json", Json.text(cluster.get()) + "\n");
                        case "/v1/local" -> send(response, callback, 200, "application/json", Json.text(local.get()) + "\n");
                        case "/metrics" -> send(response, callback, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
                        default -> send(response, callback, 404, "application/json",
                                "{\"error\":\"no such path\",\"paths\":[\"/v1/cluster\",\"/v1/local\",\"/metrics\"]}\n");
                    };
                } catch (RuntimeException e) {
                    return send(response, callback, 500, "application/json", "{\"error\":" + Json.text(String.valueOf(e.getMessage())) + "}\n");
                }
            }
        });
    }

    private static boolean send(Response response, Callback callback, int status, String type, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        Content.Sink.write(response, true, body, callback);
        return true;
    }

    void start() throws Exception {
        server.start();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
