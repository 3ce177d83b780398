package io.tandem.gateway;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.tandem.model.config.InstanceConfig;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One upstream instance of a service, alive for the gateway's lifetime (routing tables come and go, the
 * instances and their idle keep-alive connections stay). Idle connections are kept per event loop, so a
 * client connection and its upstream connection share one thread and the pool needs no lock.
 */
final class Upstream {
    /** Idle connections kept per event loop; more are closed when returned. */
    private static final int MAX_IDLE_PER_LOOP = 512;

    final String service;
    final String site;
    final InetSocketAddress address;
    final int weight;
    /** The value of a sticky cookie naming this instance: the same at every gateway and after a restart. */
    final String stickyId;
    private final Map<EventLoop, ArrayDeque<Channel>> idle = new ConcurrentHashMap<>();
    private volatile long ejectedUntilNanos;
    /** Failed its active health checks ({@code fall} in a row) and not yet passed {@code rise} in a row. */
    private volatile boolean down;
    private volatile String lastCheck = "";
    private int passedInRow;
    private int failedInRow;
    private final java.util.concurrent.atomic.AtomicInteger fivexxInRow = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * HTTPS to this instance: the client context for a new connection (null: plain HTTP; a supplier, as a reloaded client
     * certificate replaces it) and the name the instance's certificate must carry, sent as SNI.
     */
    final java.util.function.Supplier<io.netty.handler.ssl.SslContext> tls;
    final String tlsName;
    private volatile long lastTlsLogNanos;

    Upstream(String service, InstanceConfig config) {
        this(service, config, null, "");
    }

    Upstream(String service, InstanceConfig config, java.util.function.Supplier<io.netty.handler.ssl.SslContext> tls, String serverName) {
        this.tls = tls;
        this.tlsName = serverName == null || serverName.isEmpty() ? config.address().host() : serverName;
        this.service = service;
        this.site = config.site();
        this.address = new InetSocketAddress(config.address().host(), config.address().port());
        this.weight = config.weight();
        this.stickyId = stickyId(service, site, config.address().host() + ":" + config.address().port());
    }

    private static String stickyId(String service, String site, String address) {
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256")
                    .digest((service + "|" + site + "|" + address).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(h, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * A TLS client handler for a new connection to this instance: the certificate must chain to the service's CAs and
     * carry {@link #tlsName} (host-name verification as HTTPS does it), which is also sent as SNI when it is a name.
     */
    io.netty.handler.ssl.SslHandler newTlsHandler(io.netty.buffer.ByteBufAllocator alloc) {
        io.netty.handler.ssl.SslHandler h = tls.get().newHandler(alloc, tlsName, address.getPort());
        javax.net.ssl.SSLParameters p = h.engine().getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        if (!tlsName.matches("[0-9.]+|.*:.*")) {
            try {
                p.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(tlsName)));
            } catch (IllegalArgumentException notAHostName) {
                // sent without SNI; the name is still verified
            }
        }
        h.engine().setSSLParameters(p);
        return h;
    }

    /** True at most once per 10 s: a failing TLS handshake is logged, not once per request. */
    boolean shouldLogTlsFailure() {
        long now = System.nanoTime();
        long last = lastTlsLogNanos;
        if (last != 0 && now - last < 10_000_000_000L) return false;
        lastTlsLogNanos = now;
        return true;
    }

    String label() {
        return service + "@" + site + "(" + address.getHostString() + ":" + address.getPort() + ")";
    }

    /** An open idle connection on this event loop, or null. Call on {@code loop}. */
    Channel pollIdle(EventLoop loop) {
        ArrayDeque<Channel> q = idle.get(loop);
        if (q == null) return null;
        Channel ch;
        while ((ch = q.pollLast()) != null) {
            if (ch.isActive()) return ch;
            ch.close();
        }
        return null;
    }

    /** Keeps a connection for reuse. Call on the connection's event loop. */
    void offerIdle(Channel ch) {
        ArrayDeque<Channel> q = idle.computeIfAbsent(ch.eventLoop(), l -> new ArrayDeque<>());
        if (q.size() >= MAX_IDLE_PER_LOOP || !ch.isActive()) {
            ch.close();
        } else {
            q.addLast(ch);
        }
    }

    /** Forgets a pooled connection that closed. Call on the connection's event loop. */
    void removeIdle(Channel ch) {
        ArrayDeque<Channel> q = idle.get(ch.eventLoop());
        if (q != null) q.remove(ch);
    }

    void closeIdle() {
        idle.forEach((loop, q) -> loop.execute(() -> {
            Channel ch;
            while ((ch = q.poll()) != null) ch.close();
        }));
    }

    void eject(long forNanos) {
        ejectedUntilNanos = System.nanoTime() + forNanos;
    }

    boolean ejected() {
        long until = ejectedUntilNanos;
        return until != 0 && System.nanoTime() - until < 0;
    }

    /** Out of rotation by its health checks: never picked while it is down. */
    boolean down() {
        return down;
    }

    String lastCheck() {
        return lastCheck;
    }

    /**
     * The outcome of one active check (called by one checker thread only). Returns the change it caused:
     * "down" after {@code fall} failures in a row, "up" after {@code rise} passes in a row, else "".
     */
    synchronized String checked(boolean passed, String detail, int rise, int fall) {
        lastCheck = (passed ? "passed: " : "failed: ") + detail;
        if (passed) {
            failedInRow = 0;
            passedInRow++;
            if (down && passedInRow >= rise) {
                down = false;
                return "up";
            }
        } else {
            passedInRow = 0;
            failedInRow++;
            if (!down && failedInRow >= fall) {
                down = true;
                return "down";
            }
        }
        return "";
    }

    /** A response's status: {@code threshold} 5xx in a row eject the instance (0 never). True when this one ejected it. */
    boolean answered(int status, int threshold, long ejectNanos) {
        if (threshold <= 0) return false;
        if (status < 500) {
            if (fivexxInRow.get() != 0) fivexxInRow.set(0);
            return false;
        }
        if (fivexxInRow.incrementAndGet() >= threshold) {
            fivexxInRow.set(0);
            eject(ejectNanos);
            return true;
        }
        return false;
    }
}
