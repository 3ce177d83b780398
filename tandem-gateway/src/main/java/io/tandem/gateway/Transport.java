package io.tandem.gateway;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.IntSupplier;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Native epoll on Linux when it loads, NIO otherwise: the event loops and the channel classes that go with them. */
record Transport(String name, IoHandlerFactory factory, Class<? extends ServerChannel> serverChannel, Class<? extends SocketChannel> channel,
                 boolean schedBatch) {
    private static final Logger log = LoggerFactory.getLogger(Transport.class);

    static Transport best() {
        if (Epoll.isAvailable()) {
            IoHandlerFactory f = YIELD_BEFORE_WAIT ? EpollIoHandler.newFactory(0, () -> Transport::yieldBeforeWait) : EpollIoHandler.newFactory();
            return new Transport(YIELD_BEFORE_WAIT ? "epoll" : "epoll-no-yield", f, EpollServerSocketChannel.class, EpollSocketChannel.class, SCHED_BATCH);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class, SCHED_BATCH);
    }

    Transport withSchedBatch(boolean on) {
        return new Transport(name, factory, serverChannel, channel, on);
    }

    /** On with -Dtandem.gateway.sched_batch=true. */
    static final boolean SCHED_BATCH = Boolean.getBoolean("tandem.gateway.sched_batch");

    /**
     * Puts the calling thread under Linux's SCHED_BATCH policy (same priority, no preemption of the running task when
     * it is woken), through util-linux's {@code chrt} on the thread's own id from /proc/thread-self; no privilege is
     * needed for that. Where that is not possible it says so, and the thread keeps its policy.
     */
    static void toSchedBatch() {
        try {
            String self = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self")).toString(); // PID/task/TID
            String tid = self.substring(self.lastIndexOf('/') + 1);
            Process p = new ProcessBuilder("chrt", "--batch", "--pid", "0", tid).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim(); // until chrt exits
            if (p.waitFor() != 0) {
                log.warn("event=gateway_sched_batch_failed thread={} error=\"chrt: {}\" msg=\"the event loop keeps the normal policy\"",
                        Thread.currentThread().getName(), out);
            }
        } catch (java.io.IOException | RuntimeException e) {
            log.warn("event=gateway_sched_batch_failed thread={} error=\"{}\" msg=\"the event loop keeps the normal policy (is util-linux's chrt on the PATH?)\"",
                    Thread.currentThread().getName(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** On unless -Dtandem.gateway.yield_before_wait=false. */
    static final boolean YIELD_BEFORE_WAIT = !"false".equals(System.getProperty("tandem.gateway.yield_before_wait"));

    /**
     * When an event loop finds nothing ready, it yields its CPU once and looks again before it blocks in epoll_wait.
     * A gateway shares its CPUs with whatever it proxies for (an agent's PostgreSQL and application, or in the
     * benchmark the backend): a request it forwards wakes that process, which then runs while more events gather
     * here, so the next look finds a batch instead of the loop sleeping and being woken for each event.
     * Measured in `tandem bench gateway` (TCP, 1 KiB, proxy and backend on one CPU), 3 alternating pairs:
     * epoll calls per send fell from 0.12-0.21 to 0.07-0.09, requests/s rose 5-13 % and p99 fell 0.3-1.8 ms
     * in each pair. With nothing else runnable the yield returns at once: two more system calls per idle turn.
     * Its cost, measured with the gateway alone on its CPU (wrk and backend on the other), 2 pairs: requests/s
     * +1.5 % and +15 %, but ~6 % more gateway CPU per request (30.5 against 28.5 µs): the extra looks spend CPU
     * the loop would otherwise sleep through. Turn it off where the gateway's CPU time matters more than latency.
     * With the gateway's compilers at nice 19 too (measured 2026-12-07, not kept, see {@link ThreadPriorities}) a yield
     * handed the CPU to a runnable compiler thread, which nothing preempts before the next scheduler tick (4 ms here)
     * since the loop is not woken when its data arrives; there TCP did better without the yield. With the compilers at
     * nice 0 the yield stays: HTTP 1 KiB made 24.6 k requests/s with it and 18.2 k without (one run each).
     * The contract is Netty's default strategy's: block (SELECT) only when no task is queued.
     */
    static int yieldBeforeWait(IntSupplier readyNow, boolean hasTasks) throws Exception {
        int n = readyNow.get();
        if (n > 0) return n;
        Thread.yield();
        n = readyNow.get();
        return n > 0 || hasTasks ? n : SelectStrategy.SELECT;
    }

    /**
     * Event loops whose threads are named {@code prefix-N-M} and have the given Java priority; the proxy's own loops
     * get {@link ThreadPriorities#EVENT_LOOP}, which only the gateway's JVM flags turn into an OS priority.
     */
    EventLoopGroup group(int threads, String prefix, int priority) {
        DefaultThreadFactory base = new DefaultThreadFactory(prefix, true, priority);
        java.util.concurrent.ThreadFactory tf = !schedBatch ? base : r -> base.newThread(() -> {
            toSchedBatch();
            r.run();
        });
        return new MultiThreadIoEventLoopGroup(threads, tf, factory);
    }
}
