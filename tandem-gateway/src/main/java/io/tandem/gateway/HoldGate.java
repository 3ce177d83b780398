package io.tandem.gateway;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Holds new requests and connections during a switchover. While held, each newcomer waits in a bounded
 * queue; on release every waiter proceeds (on its own event loop, against the routing table of that
 * moment, so it reaches the new primary). A waiter still held after {@code holdMax} is refused.
 */
final class HoldGate {
    /** What happened to a request that asked to pass. */
    enum Admission { PASS, WAITING, REFUSED }

    private final Duration holdMax;
    private final int capacity;
    private final Queue<Waiter> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile boolean held;

    private static final class Waiter {
        final EventExecutor loop;
        final Runnable proceed;
        final AtomicBoolean settled = new AtomicBoolean();
        ScheduledFuture<?> expiry;

        Waiter(EventExecutor loop, Runnable proceed) {
            this.loop = loop;
            this.proceed = proceed;
        }
    }

    HoldGate(Duration holdMax, int capacity) {
        this.holdMax = holdMax;
        this.capacity = capacity;
    }

    boolean held() {
        return held;
    }

    int waiting() {
        return waiting.get();
    }

    /**
     * PASS: go on now. WAITING: {@code proceed} runs on {@code loop} at release, or {@code expire} at hold_max.
     * REFUSED: the queue is full. Hot path: one volatile read when no hold is on.
     */
    Admission admit(EventExecutor loop, Runnable proceed, Runnable expire) {
        if (!held) return Admission.PASS;
        if (waiting.incrementAndGet() > capacity) {
            waiting.decrementAndGet();
            return Admission.REFUSED;
        }
        Waiter w = new Waiter(loop, proceed);
        w.expiry = loop.schedule(() -> {
            if (w.settled.compareAndSet(false, true)) {
                queue.remove(w);
                waiting.decrementAndGet();
                expire.run();
            }
        }, holdMax.toNanos(), TimeUnit.NANOSECONDS);
        queue.add(w); // after the expiry is set: a concurrent release cancels it
        if (!held) {
            drain(); // released between the check above and the enqueue
        }
        return Admission.WAITING;
    }

    void hold() {
        held = true;
    }

    void release() {
        held = false;
        drain();
    }

    private void drain() {
        Waiter w;
        while ((w = queue.poll()) != null) {
            if (w.settled.compareAndSet(false, true)) {
                waiting.decrementAndGet();
                w.expiry.cancel(false);
                w.loop.execute(w.proceed);
            }
        }
    }
}
