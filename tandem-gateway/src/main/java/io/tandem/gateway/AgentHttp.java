package io.tandem.gateway;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * A blocking HTTP/1.1 GET client for one agent's API, with one keep-alive connection: what the cluster watcher needs
 * and nothing more. It replaced the JDK's asynchronous HTTP client there, whose selector thread, futures and thread
 * hand-offs ran on the proxy's CPU for every long-poll and kept the JIT compiling (README "Measured", 2026-12-07,
 * fourth session). Each poll is one write and blocking reads on the calling thread. Bodies are read by
 * Content-Length, chunked, or to the end of the connection; a body is at most {@link #MAX_BODY} bytes and the head at
 * most {@link #MAX_HEAD}. A request on a kept connection that the agent closed meanwhile (its idle timeout) is sent
 * once more on a new connection, as a GET may be. One caller at a time; {@link #abort} from any thread.
 */
final class AgentHttp implements AutoCloseable {
    static final int MAX_HEAD = 64 * 1024;
    static final int MAX_BODY = 16 * 1024 * 1024;

    /** A response: status and body bytes. */
    record Response(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final String host;
    private final int port;
    private final Duration connectTimeout;
    private volatile Socket socket;
    private volatile boolean aborted;
    private InputStream in;
    private OutputStream out;

    AgentHttp(String host, int port, Duration connectTimeout) {
        this.host = host;
        this.port = port;
        this.connectTimeout = connectTimeout;
    }

    /**
     * GET {@code pathAndQuery}; the whole exchange, connecting included, must end within {@code timeout} (connecting
     * alone within the connect timeout).
     * Throws IOException with what went wrong (refused, timed out, not HTTP).
     */
    Response get(String pathAndQuery, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean reused = socket != null;
        try {
            return exchange(pathAndQuery, deadline);
        } catch (StaleConnection e) {
            close();
            if (!reused) throw new IOException(e.getMessage());
            return exchange(pathAndQuery, deadline); // the agent closed the kept connection first: once more on a new one
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The connection closed before the first byte of the response. */
    private static final class StaleConnection extends IOException {
        private static final long serialVersionUID = 1L;

        StaleConnection(String why) {
            super(why);
        }
    }

    private Response exchange(String pathAndQuery, long deadline) throws IOException {
        if (aborted) throw new IOException("closed");
        if (socket == null) {
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) throw new SocketTimeoutException("no time left to connect");
                s.connect(new InetSocketAddress(host, port), (int) Math.max(1, Math.min(connectTimeout.toMillis(), left)));
            } catch (IOException e) {
                s.close();
                throw e;
            }
            socket = s;
            if (aborted) throw new IOException("closed"); // abort() may have missed this socket
            in = new BufferedInputStream(s.getInputStream(), 8192);
            out = s.getOutputStream();
        }
        try {
            out.write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\nAccept: application/json\r\nUser-Agent: tandem-gateway\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (java.net.SocketException e) {
            throw new StaleConnection("cannot send the request: " + e.getMessage());
        }
        String status = line(deadline, true);
        if (status == null) throw new StaleConnection("the agent closed the connection without answering");
        // HTTP/1.1 200 OK
        if (!status.startsWith("HTTP/1.") || status.length() < 12 || status.charAt(8) != ' ') {
            throw new IOException("not an HTTP answer: " + clip(status));
        }
        int code;
        try {
            code = Integer.parseInt(status.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status line: " + clip(status));
        }
        long length = -1;
        boolean chunked = false;
        boolean close = status.startsWith("HTTP/1.0");
        int headBytes = status.length();
        for (String h = line(deadline, false); !h.isEmpty(); h = line(deadline, false)) {
            headBytes += h.length() + 2;
            if (headBytes > MAX_HEAD) throw new IOException("answer head over " + MAX_HEAD + " bytes");
            int c = h.indexOf(':');
            if (c <= 0) throw new IOException("malformed header line: " + clip(h));
            String name = h.substring(0, c).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(c + 1).trim();
            switch (name) {
                case "content-length" -> {
                    try {
                        length = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new IOException("bad Content-Length: " + clip(value));
                    }
                    if (length < 0) throw new IOException("bad Content-Length: " + clip(value));
                }
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> close |= value.toLowerCase(Locale.ROOT).contains("close");
                default -> { }
            }
        }
        byte[] body;
        if (chunked) {
            body = chunkedBody(deadline);
        } else if (length >= 0) {
            if (length > MAX_BODY) throw new IOException("answer body of " + length + " bytes is over " + MAX_BODY);
            body = exactly((int) length, deadline);
        } else {
            body = toEnd(deadline);
            close = true;
        }
        if (close) close();
        return new Response(code, body);
    }

    private byte[] chunkedBody(long deadline) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            String size = line(deadline, false);
            int semi = size.indexOf(';');
            int n;
            try {
                n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size: " + clip(size));
            }
            if (n < 0 || b.size() + (long) n > MAX_BODY) throw new IOException("chunked body over " + MAX_BODY + " bytes");
            if (n == 0) {
                while (!line(deadline, false).isEmpty()) { } // trailers
                return b.toByteArray();
            }
            b.write(exactly(n, deadline));
            if (!line(deadline, false).isEmpty()) throw new IOException("chunk not followed by CRLF");
        }
    }

    private byte[] exactly(int n, long deadline) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            timeout(deadline);
            int r = in.read(b, off, n - off);
            if (r < 0) throw new IOException("the connection closed " + off + " bytes into a body of " + n);
            off += r;
        }
        return b;
    }

    private byte[] toEnd(long deadline) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (true) {
            timeout(deadline);
            int r = in.read(buf);
            if (r < 0) return b.toByteArray();
            if (b.size() + r > MAX_BODY) throw new IOException("answer body over " + MAX_BODY + " bytes");
            b.write(buf, 0, r);
        }
    }

    /** One CRLF- (or LF-) terminated line; null when {@code first} and the connection closed before any byte. */
    private String line(long deadline, boolean first) throws IOException {
        StringBuilder s = new StringBuilder();
        while (true) {
            timeout(deadline);
            int c;
            try {
                c = in.read();
            } catch (java.net.SocketException e) {
                if (first && s.isEmpty()) return null; // reset by the agent on a kept connection
                throw e;
            }
            if (c < 0) {
                if (first && s.isEmpty()) return null;
                throw new IOException("the connection closed in the answer's head");
            }
            if (c == '\n') {
                int end = s.length() > 0 && s.charAt(s.length() - 1) == '\r' ? s.length() - 1 : s.length();
                return s.substring(0, end);
            }
            if (s.length() >= MAX_HEAD) throw new IOException("answer line over " + MAX_HEAD + " bytes");
            s.append((char) c);
        }
    }

    /** Sets the socket's read timeout to what is left until the deadline; throws when nothing is. */
    private void timeout(long deadline) throws IOException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) throw new SocketTimeoutException("no complete answer in time");
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
    }

    private static String clip(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /**
     * From another thread: fails the request in progress at once (its read sees the socket closed) and every later
     * one; the only method that may be called while another thread is in {@link #get}.
     */
    void abort() {
        aborted = true;
        closeQuietly(socket);
    }

    @Override
    public void close() {
        Socket s = socket;
        socket = null;
        in = null;
        out = null;
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
