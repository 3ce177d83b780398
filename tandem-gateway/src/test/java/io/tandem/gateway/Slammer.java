package io.tandem.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/** An upstream that reads a request's header and then drops the connection without answering. */
final class Slammer implements AutoCloseable {
    final ServerSocket socket;
    final AtomicInteger requests = new AtomicInteger();

    Slammer(String address) throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getByName(address));
        Thread.ofVirtual().start(() -> {
            while (!socket.isClosed()) {
                try (Socket s = socket.accept(); InputStream in = s.getInputStream()) {
                    int state = 0;
                    int b;
                    while (state < 4 && (b = in.read()) >= 0) {
                        state = (b == '\r' && state % 2 == 0) || (b == '\n' && state % 2 == 1) ? state + 1 : 0;
                    }
                    if (state == 4) requests.incrementAndGet();
                } catch (IOException e) {
                    if (socket.isClosed()) return;
                }
            }
        });
    }

    String address() {
        return "127.0.1.1:" + socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
