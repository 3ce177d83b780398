package io.tandem.model.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Ports for processes this JVM is about to start (the demo cluster, tests). The kernel may hand the
 * same ephemeral port to two {@code bind(0)} calls in a row once the first socket is closed, so a
 * port is returned at most once per JVM: two listeners of one generated config never collide.
 */
public final class FreePorts {
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private FreePorts() {
    }

    /** A port free right now on the given address and not returned before by this JVM. */
    public static int take(String address) throws IOException {
        InetAddress bind = InetAddress.getByName(address);
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, bind)) {
                port = s.getLocalPort();
            }
            synchronized (HANDED_OUT) {
                if (HANDED_OUT.add(port)) {
                    return port;
                }
            }
        }
        throw new IOException("no new free port on " + address + " after 100 tries");
    }

    /** A port free right now on every one of the given addresses and not returned before by this JVM. */
    public static int takeOnAll(String first, String... others) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = take(first);
            if (freeOnAll(port, others)) {
                return port;
            }
        }
        throw new IOException("no port free on " + first + " and " + String.join(", ", others) + " after 50 tries");
    }

    private static boolean freeOnAll(int port, String... addresses) {
        for (String a : addresses) {
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(a))) {
                // free here
            } catch (IOException taken) {
                return false;
            }
        }
        return true;
    }
}
