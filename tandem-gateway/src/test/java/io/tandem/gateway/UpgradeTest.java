package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Connection: upgrade (WebSocket) through the gateway: the 101 is passed on and both connections become a byte relay. */
class UpgradeTest {
    private EventLoopGroup group;
    private Channel server;
    private Gateway gateway;
    private int httpPort;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeEach
    void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        // a real WebSocket echo server (Netty's own handshake and framing); plain HTTP requests get 200 "plain"
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class).childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                        new WebSocketServerProtocolHandler("/ws", null, false, 1 << 20),
                        new io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator(1 << 20), // the client fragments big messages
                        new SimpleChannelInboundHandler<io.netty.handler.codec.http.FullHttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, io.netty.handler.codec.http.FullHttpRequest req) {
                                var resp = new io.netty.handler.codec.http.DefaultFullHttpResponse(io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                                        io.netty.handler.codec.http.HttpResponseStatus.OK, io.netty.buffer.Unpooled.copiedBuffer("plain",
                                        java.nio.charset.StandardCharsets.US_ASCII));
                                resp.headers().setInt("content-length", 5);
                                ctx.writeAndFlush(resp);
                            }
                        },
                        new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) {
                                ctx.writeAndFlush(new TextWebSocketFrame("echo " + f.text()));
                            }
                        });
            }
        }).bind(new InetSocketAddress("127.0.1.1", 0)).sync().channel();
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        httpPort = GatewayFixture.freePort();
        gateway = Gateway.start(GatewayFixture.config(false, httpPort, GatewayFixture.freePort(), """
                access_log: false
                idle_timeout: 1s
                tunnel_idle_timeout: 3s
                services:
                  - {name: app, mode: active-active, instances: [{site: kyiv, address: "127.0.1.1:%d"}]}
                routes:
                  - {path_prefix: /, service: app}
                """.formatted(port), Path.of("/tmp")));
    }

    @AfterEach
    void stop() {
        if (gateway != null) gateway.close();
        if (server != null) server.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        client.shutdownNow();
    }

    @Test
    void aWebSocketIsRelayedBothWaysAfterTheUpgrade() throws Exception {
        List<String> got = new CopyOnWriteArrayList<>();
        CountDownLatch three = new CountDownLatch(3);
        StringBuilder partial = new StringBuilder();
        WebSocket ws = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + httpPort + "/ws"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            got.add(partial.toString());
                            partial.setLength(0);
                            three.countDown();
                        }
                        w.request(1);
                        return CompletableFuture.completedFuture(null);
                    }
                }).get(10, TimeUnit.SECONDS);
        ws.sendText("hello", true).get(5, TimeUnit.SECONDS);
        ws.sendText("again", true).get(5, TimeUnit.SECONDS);
        String big = "x".repeat(200_000); // several TCP segments and frames' worth, both ways
        ws.sendText(big, true).get(5, TimeUnit.SECONDS);
        assertThat(three.await(10, TimeUnit.SECONDS)).as("three echoes, got %s", got.size()).isTrue();
        assertThat(got).containsExactly("echo hello", "echo again", "echo " + big);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);

        // plain HTTP through the same gateway still works
        HttpResponse<String> plain = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/plain")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.body()).isEqualTo("plain");
    }

    @Test
    void anUpgradeTheUpstreamDeclinesIsAnOrdinaryExchange() throws Exception {
        try (java.net.Socket sock = new java.net.Socket("127.0.0.1", httpPort)) {
            sock.setSoTimeout(5000);
            var out = sock.getOutputStream();
            out.write(("GET /plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String first = RawHttp.readResponse(sock.getInputStream());
            assertThat(first).startsWith("HTTP/1.1 200 ").endsWith("plain");
            out.write("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertThat(RawHttp.readResponse(sock.getInputStream())).as("the same client connection goes on as HTTP").startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void aTunnelWithNoByteEitherWayForIdleTimeoutIsClosed() throws Exception {
        CompletableFuture<String> ended = new CompletableFuture<>();
        CountDownLatch echoed = new CountDownLatch(1);
        WebSocket ws = client.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + httpPort + "/ws"), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                echoed.countDown();
                w.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
                ended.complete("closed " + status);
                return null;
            }

            @Override
            public void onError(WebSocket w, Throwable error) {
                ended.complete("error " + error);
            }
        }).get(10, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        ws.sendText("one", true).get(5, TimeUnit.SECONDS);
        assertThat(echoed.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(ended.get(10, TimeUnit.SECONDS)).as("how the idle tunnel ended").isNotEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("after tunnel_idle_timeout (3 s), not idle_timeout (1 s)")
                .isGreaterThan(Duration.ofMillis(2900));
    }
}
