package io.tandem.agent;

import io.tandem.model.config.Role;
import io.tandem.model.config.UserConfig;
import java.util.Map;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's HTTP API. Reads (GET) are open; every mutation (POST) needs a bearer token whose user
 * has the endpoint's role, records an intent in the cluster state through Raft, and is audited.
 */
final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    static final int MAX_BODY = 64 * 1024;

    /** What an endpoint answers. */
    record Reply(int status, String body) {
        static Reply json(int status, Object o) {
            return new Reply(status, Json.text(o) + "\n");
        }

        static Reply error(int status, String message) {
            return json(status, Map.of("error", message));
        }
    }

    /** A mutation: runs with the authenticated user and the request body. */
    interface Mutation {
        Reply apply(UserConfig user, String body);
    }

    record Post(Role role, Mutation mutation) {}

    /** A streamed answer for the other agents only (a database clone): query parameters in, bytes out. */
    interface Stream {
        /** {@code header}: the request's header of that name, or null. Throw {@link Forbidden} to answer 403. */
        void write(Map<String, String> query, java.util.function.Function<String, String> header, java.io.OutputStream out)
                throws java.io.IOException;
    }

    /** A stream request that is not allowed (answered 403 with the message). */
    static final class Forbidden extends java.io.IOException {
        private static final long serialVersionUID = 1L;

        Forbidden(String message) {
            super(message);
        }
    }

    private final Server server;

    ApiServer(String host, int port, Map<String, Supplier<Object>> gets, Supplier<String> metrics, Map<String, Post> posts, Auth auth,
              Map<String, Stream> streams, java.util.Set<String> peerAddresses, Map<String, java.util.function.Function<Map<String, String>, Reply>> checks) {
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
                if ("GET".equals(request.getMethod()) && streams.containsKey(path)) {
                    return stream(request, response, callback, streams.get(path), peerAddresses);
                }
                Reply r;
                try {
                    r = switch (request.getMethod()) {
                        case "GET" -> path.equals("/metrics") ? new Reply(200, metrics.get())
                                : gets.containsKey(path) ? Reply.json(200, gets.get(path).get())
                                : checks.containsKey(path) ? checks.get(path).apply(query(request))
                                : Reply.error(404, "no such path; GET " + new java.util.TreeSet<>(java.util.stream.Stream.concat(gets.keySet().stream(),
                                        checks.keySet().stream()).toList()) + " /metrics, POST " + posts.keySet());
                        case "POST" -> post(request, path, posts, auth);
                        default -> Reply.error(405, "use GET or POST");
                    };
                } catch (RuntimeException e) {
                    LOG.warn("event=api-error path={} error=\"{}\"", path, e.toString());
                    r = Reply.error(500, String.valueOf(e.getMessage()));
                }
                response.setStatus(r.status());
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, path.equals("/metrics") && r.status() == 200
                        ? "text/plain; version=0.0.4; charset=utf-8" : "application/json");
                if (r.status() == 401) {
                    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"tandem\"");
                }
                if ("POST".equals(request.getMethod()) && r.status() >= 400) {
                    // a refused request's body may be left unread, and then the server drops the connection:
                    // say so, or a keep-alive client would send its next request into a closed socket
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                }
                Content.Sink.write(response, true, r.body(), callback);
                return true;
            }
        });
    }

    private static Map<String, String> query(Request request) {
        Map<String, String> q = new java.util.HashMap<>();
        Request.extractQueryParameters(request).forEach(f -> q.put(f.getName(), f.getValue()));
        return q;
    }

    /** Streams to another agent: only peers' addresses (or loopback) may ask; an error mid-stream aborts the response. */
    private static boolean stream(Request request, Response response, Callback callback, Stream s, java.util.Set<String> peerAddresses) {
        String remote = Request.getRemoteAddr(request);
        if (!peerAddresses.contains(remote) && !remote.startsWith("127.") && !remote.equals("0:0:0:0:0:0:0:1")) {
            LOG.warn("event=internal-refused remote={} path={}", remote, Request.getPathInContext(request));
            response.setStatus(403);
            Content.Sink.write(response, true, Json.text(Map.of("error", "only the cluster's agents may use this")) + "\n", callback);
            return true;
        }
        Map<String, String> query = query(request);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        java.io.OutputStream out = Content.Sink.asOutputStream(response);
        try {
            s.write(query, name -> request.getHeaders().get(name), out);
            out.close();
        } catch (java.io.IOException | RuntimeException e) {
            LOG.warn("event=stream-failed path={} error=\"{}\"", Request.getPathInContext(request), e.getMessage());
            if (!response.isCommitted()) {
                // nothing sent yet: a plain error the other agent can read
                response.reset();
                response.setStatus(e instanceof Forbidden ? 403 : 503);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                Content.Sink.write(response, true, Json.text(Map.of("error", String.valueOf(e.getMessage()))) + "\n", callback);
            } else {
                callback.failed(e);
            }
            return true;
        }
        callback.succeeded();
        return true;
    }

    private static Reply post(Request request, String path, Map<String, Post> posts, Auth auth) {
        Post p = posts.get(path);
        if (p == null) {
            return Reply.error(404, "no such mutation; POST " + posts.keySet());
        }
        UserConfig user = auth.authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION)).orElse(null);
        if (user == null) {
            LOG.warn("event=api-unauthenticated path={} remote={}", path, Request.getRemoteAddr(request));
            return Reply.error(401, "a valid bearer token is required (Authorization: Bearer TOKEN); make one with 'tandem token'");
        }
        if (!Auth.allows(user, p.role())) {
            LOG.warn("event=api-forbidden path={} user={} role={} needed={}", path, user.name(), user.role(), p.role());
            return Reply.error(403, "user '" + user.name() + "' has role " + user.role().name().toLowerCase() + "; " + path
                    + " needs " + p.role().name().toLowerCase());
        }
        long length = request.getLength();
        if (length > MAX_BODY) {
            return Reply.error(413, "request body over " + MAX_BODY + " bytes");
        }
        String body;
        try {
            body = Content.Source.asString(request);
        } catch (java.io.IOException e) {
            return Reply.error(400, "cannot read the request body: " + e.getMessage());
        }
        if (body.length() > MAX_BODY) {
            return Reply.error(413, "request body over " + MAX_BODY + " bytes");
        }
        return p.mutation().apply(user, body);
    }

    void start() throws Exception {
        server.start();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
