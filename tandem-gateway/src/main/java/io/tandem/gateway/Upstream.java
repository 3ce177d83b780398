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
    private final Map<EventLoop, ArrayDeque<Channel>> idle = new ConcurrentHashMap<>();
    private volatile long ejectedUntilNanos;

    Upstream(String service, InstanceConfig config) {
        this.service = service;
        this.site = config.site();
        this.address = new InetSocketAddress(config.address().host(), config.address().port());
        this.weight = config.weight();
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
}
