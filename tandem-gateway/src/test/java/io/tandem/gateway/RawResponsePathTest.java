package io.tandem.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests and responses through the gateway's byte-level paths, against an upstream that reads and writes exact
 * bytes: the request head as the upstream receives it, heads and bodies arriving a byte at a time, bytes after a
 * response, a malformed chunked body, and heads the path leaves to Netty's decoder, each as seen on the wire.
 */
class RawResponsePathTest {
    private ServerSocket upstream;
    private final AtomicInteger connections = new AtomicInteger();
    /** Requests to /drop-first so far: the first is read whole and its connection closed without an answer. */
    private final AtomicInteger dropped = new AtomicInteger();
    /** The last request head and body the upstream read. */
    private final java.util.concurrent.atomic.AtomicReference<String> lastRequest = new java.util.concurrent.atomic.AtomicReference<>();
    private Gateway gateway;
    private int httpPort;

    @BeforeEach
    void start() throws Exception {
        upstream = new ServerSocket(0, 50, InetAddress.getByName("127.0.1.1"));
        Thread.ofVirtual().start(this::acceptLoop);
        httpPort = GatewayFixture.freePort();
        gateway = Gateway.start(GatewayFixture.config(false, httpPort, GatewayFixture.freePort(), """
                access_log: false
                services:
                  - {name: app, mode: active-active, instances: [{site: kyiv, address: "127.0.1.1:%d"}]}
                routes:
                  - {path_prefix: /, service: app}
                """.formatted(upstream.getLocalPort()), Path.of("/tmp")));
    }

    @AfterEach
    void stop() throws IOException {
        if (gateway != null) gateway.close();
        upstream.close();
    }

    private void acceptLoop() {
        while (!upstream.isClosed()) {
            try {
                Socket s = upstream.accept();
                connections.incrementAndGet();
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Answers each request on the connection by its path, in exact bytes. */
    private void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            s.setTcpNoDelay(true);
            while (true) {
                String head = readHead(in);
                if (head == null) return;
                java.util.regex.Matcher cl = java.util.regex.Pattern.compile("(?im)^content-length: *(\\d+)").matcher(head);
                boolean chunked = java.util.regex.Pattern.compile("(?im)^transfer-encoding: *chunked").matcher(head).find();
                byte[] body = cl.find() ? in.readNBytes(Integer.parseInt(cl.group(1))) : chunked ? readChunked(in) : new byte[0];
                lastRequest.set(head + new String(body, StandardCharsets.ISO_8859_1));
                String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                if (path.equals("/drop-first") && dropped.getAndIncrement() == 0) return; // read whole, never answered
                switch (path) {
                    case "/drop-first" -> out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                    case "/plain" -> out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nplain"));
                    case "/drip" -> {
                        byte[] r = ascii("HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n");
                        for (byte b : r) { // a byte per read on the gateway's side
                            out.write(b);
                            out.flush();
                            Thread.sleep(1);
                        }
                    }
                    case "/extra" -> out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokJUNK"));
                    case "/fold" -> out.write(ascii("HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 4\r\n\r\nfold"));
                    case "/bad-chunk" -> out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nxyz\r\n0\r\n\r\n"));
                    case "/via" -> out.write(ascii("HTTP/1.1 200 OK\r\nVia: 1.1 cdn\r\nContent-Length: 1\r\n\r\nv"));
                    default -> out.write(ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
                }
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the gateway closed the connection
        }
    }

    /** A chunked body as it came, sizes, extensions and trailer included (up to the empty line that ends it). */
    private static byte[] readChunked(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            String sizeLine = readLine(in);
            sb.append(sizeLine);
            int size = Integer.parseInt(sizeLine.trim().split(";")[0].trim(), 16);
            if (size == 0) break;
            sb.append(new String(in.readNBytes(size + 2), StandardCharsets.ISO_8859_1));
        }
        String line;
        do {
            line = readLine(in);
            sb.append(line);
        } while (!line.equals("\r\n"));
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            sb.append((char) b);
            if (b == '\n') return sb.toString();
        }
        throw new java.io.EOFException("the connection ended mid-line: " + sb);
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            sb.append((char) b);
            if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) return sb.toString();
        }
        return null;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private String once(String path) throws IOException {
        return RawHttp.exchange(httpPort, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }

    @Test
    void aResponseArrivingAByteAtATimeIsForwardedWholeWithItsChunkedFramingAndTrailer() throws Exception {
        assertThat(once("/drip")).isEqualTo("HTTP/1.1 200 OK\r\nX-A: 1\r\ntransfer-encoding: chunked\r\nvia: 1.1 tandem\r\nconnection: close\r\n\r\n"
                + "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n");
    }

    @Test
    void aRetriedChunkedRequestWithoutBodyStillCarriesItsTrailer() throws Exception {
        String r = RawHttp.exchange(httpPort, "GET /drop-first HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "0\r\nX-Checksum: abc\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 200 OK").endsWith("ok");
        assertThat(dropped.get()).as("the first attempt was dropped, the retry answered").isEqualTo(2);
        assertThat(connections.get()).as("the retry went on a fresh connection").isEqualTo(2);
        assertThat(lastRequest.get()).as("what the retry sent").startsWith("GET /drop-first HTTP/1.1").contains("\r\n\r\n0\r\n")
                .endsWith("\r\nX-Checksum: abc\r\n\r\n");
    }

    @Test
    void keepAliveExchangesReuseOneUpstreamConnection() throws Exception {
        try (Socket s = new Socket("127.0.0.1", httpPort)) {
            s.setSoTimeout(5000);
            for (int i = 0; i < 5; i++) {
                s.getOutputStream().write(ascii("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"));
                assertThat(RawHttp.readResponse(s.getInputStream())).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nvia: 1.1 tandem\r\n\r\nplain");
            }
        }
        assertThat(connections.get()).isEqualTo(1);
    }

    @Test
    void bytesAfterAResponseAreDroppedAndThatUpstreamConnectionIsNotReused() throws Exception {
        try (Socket s = new Socket("127.0.0.1", httpPort)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(ascii("GET /extra HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertThat(RawHttp.readResponse(s.getInputStream())).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nvia: 1.1 tandem\r\n\r\nok");
            s.getOutputStream().write(ascii("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertThat(RawHttp.readResponse(s.getInputStream())).endsWith("\r\n\r\nplain");
        }
        assertThat(connections.get()).isEqualTo(2);
    }

    @Test
    void aMalformedChunkedBodyCutsTheClientsConnection() throws Exception {
        String r = once("/bad-chunk");
        // closed (no timeout) without a complete answer: never the last chunk, never the bytes after the bad size line
        assertThat(r).doesNotContain("<timeout>").doesNotContain("xyz").doesNotEndWith("0\r\n\r\n");
    }

    @Test
    void aHeadThePathDoesNotTakeIsStillAnsweredThroughNettysDecoder() throws Exception {
        String r = once("/fold");
        assertThat(r).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nfold");
        assertThat(r.toLowerCase()).contains("x-folded: a b").contains("via: 1.1 tandem");
    }

    @Test
    void theUpstreamsViaIsExtended() throws Exception {
        assertThat(once("/via")).isEqualTo("HTTP/1.1 200 OK\r\nVia: 1.1 cdn, 1.1 tandem\r\nContent-Length: 1\r\nconnection: close\r\n\r\nv");
    }

    @Test
    void theUpstreamGetsTheRequestHeadWithHopByHopHeadersDroppedAndForwardingHeadersSetWhateverTheClientClaims() throws Exception {
        RawHttp.exchange(httpPort, "GET /plain?a=b HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\nKeep-Alive: 5\r\n"
                + "X-Forwarded-For: 10.0.0.9\r\nX_Forwarded_Proto: https\r\nX-Forwarded-Host: evil\r\nX_Client_Cert_Subject: CN=admin\r\n"
                + "Via: 1.0 corp\r\nTE: trailers\r\nX-Custom: kept\r\n\r\n");
        assertThat(lastRequest.get()).isEqualTo("GET /plain?a=b HTTP/1.1\r\nHost: shop.example\r\nX-Custom: kept\r\n"
                + "x-forwarded-for: 10.0.0.9, 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: shop.example\r\n"
                + "via: 1.0 corp, 1.1 tandem\r\n\r\n");
    }

    @Test
    void aContentLengthBodyPassesAsItCameAndAnHttp10ClientIsSentOnAsHttp11() throws Exception {
        String r = RawHttp.exchange(httpPort, "POST /plain HTTP/1.0\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
        assertThat(r).startsWith("HTTP/1.0 200 OK\r\n").endsWith("plain");
        assertThat(lastRequest.get()).isEqualTo("POST /plain HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n"
                + "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: x\r\nvia: 1.0 tandem\r\n\r\nhello world");
    }

    @Test
    void aClientsForwardingHeadersNeverReachTheUpstreamOnEitherPath() throws Exception {
        // no Host: no X-Forwarded-Host at all, never the client's
        RawHttp.exchange(httpPort, "GET /plain HTTP/1.0\r\nX-Forwarded-Host: evil\r\n\r\n");
        assertThat(lastRequest.get().toLowerCase()).doesNotContain("evil").doesNotContain("x-forwarded-host");
        // Netty's path (a Connection header naming another header): '_' spellings dropped there too
        RawHttp.exchange(httpPort, "GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close, X-A\r\nX_Forwarded_Proto: https\r\n"
                + "X_Forwarded_For: 6.6.6.6\r\n\r\n");
        assertThat(lastRequest.get().toLowerCase()).doesNotContain("x_forwarded").doesNotContain("6.6.6.6").contains("x-forwarded-proto: http\r\n");
    }

    @Test
    void aConnectionHeaderNamingAnotherHeaderStillDropsIt() throws Exception {
        RawHttp.exchange(httpPort, "GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close, X-Secret\r\nX-Secret: s\r\nX-Other: o\r\n\r\n");
        assertThat(lastRequest.get().toLowerCase()).doesNotContain("x-secret").contains("x-other: o").doesNotContain("connection:");
    }
}
