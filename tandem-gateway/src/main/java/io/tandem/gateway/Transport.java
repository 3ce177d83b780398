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

/** Native epoll on Linux when it loads, NIO otherwise: the event loops and the channel classes that go with them. */
record Transport(String name, IoHandlerFactory factory, Class<? extends ServerChannel> serverChannel, Class<? extends SocketChannel> channel) {

    static Transport best() {
        if (Epoll.isAvailable()) {
            IoHandlerFactory f = YIELD_BEFORE_WAIT ? EpollIoHandler.newFactory(0, () -> Transport::yieldBeforeWait) : EpollIoHandler.newFactory();
            return new Transport(YIELD_BEFORE_WAIT ? "epoll" : "epoll-no-yield", f, EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
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
     * The contract is Netty's default strategy's: block (SELECT) only when no task is queued.
     */
    static int yieldBeforeWait(IntSupplier readyNow, boolean hasTasks) throws Exception {
        int n = readyNow.get();
        if (n > 0) return n;
        Thread.yield();
        n = readyNow.get();
        return n > 0 || hasTasks ? n : SelectStrategy.SELECT;
    }

    EventLoopGroup group(int threads, String prefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(prefix, true), factory);
    }
}
