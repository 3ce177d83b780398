package io.tandem.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.tandem.model.config.Role;
import io.tandem.model.config.UserConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The admin API on admin_port: GET /v1/gateway (the live routing table as JSON), POST /v1/gateway/hold and
 * /v1/gateway/release, GET /metrics (Prometheus text). When the config declares users, hold and release need
 * an operator's bearer token (compared by its SHA-256, as the agents do).
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Gateway gateway;
    private final List<UserConfig> users;

    AdminHandler(Gateway gateway, List<UserConfig> users) {
        this.gateway = gateway;
        this.users = users;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws JsonProcessingException {
        String path = req.uri().split("\\?", 2)[0];
        boolean get = req.method().equals(HttpMethod.GET);
        boolean post = req.method().equals(HttpMethod.POST);
        switch (path) {
            case "/v1/gateway" -> {
                if (get) json(ctx, req, 200, gateway.describe());
                else json(ctx, req, 405, Map.of("error", "use GET"));
            }
            case "/v1/gateway/hold", "/v1/gateway/release" -> {
                if (!post) {
                    json(ctx, req, 405, Map.of("error", "use POST"));
                } else if (!operator(req)) {
                    json(ctx, req, 401, Map.of("error", "hold and release need an operator's token: Authorization: Bearer <token>"));
                } else {
                    if (path.endsWith("hold")) gateway.hold();
                    else gateway.release();
                    json(ctx, req, 200, Map.of("held", gateway.held(), "waiting", gateway.waiting()));
                }
            }
            case "/metrics" -> send(ctx, req, 200, "text/plain; version=0.0.4; charset=utf-8", gateway.metrics().scrape());
            default -> json(ctx, req, 404, Map.of("error", "no such path", "paths",
                    List.of("GET /v1/gateway", "POST /v1/gateway/hold", "POST /v1/gateway/release", "GET /metrics")));
        }
    }

    private boolean operator(FullHttpRequest req) {
        if (users.isEmpty()) return true;
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION, "");
        if (!auth.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        String hash = sha256(auth.substring(7).trim());
        return users.stream().anyMatch(u -> MessageDigest.isEqual(u.tokenSha256().getBytes(StandardCharsets.US_ASCII),
                hash.getBytes(StandardCharsets.US_ASCII)) && u.role().allows(Role.OPERATOR));
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static void json(ChannelHandlerContext ctx, FullHttpRequest req, int status, Object body) throws JsonProcessingException {
        send(ctx, req, status, "application/json", JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest req, int status, String type, String body) {
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes());
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(resp, keepAlive);
        var f = ctx.writeAndFlush(resp);
        if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
