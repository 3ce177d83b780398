package io.tandem.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Notices when this machine stops running anything for a while: a thread (not pinned, so on either CPU) that asks to
 * sleep 5 ms and measures how much later it wakes. On a CPU that runs, it wakes within a scheduler slice; a wake
 * {@link #THRESHOLD_MS} or more late means its CPU ran nothing, as when the host of this virtual machine takes its
 * CPUs away (seen here with perf sched: both CPUs "idle" for 15-21 ms while wrk waited to run). Such a stall delays
 * every request in flight of whatever system is measured, so it moves a p99 by milliseconds: each benchmark figure
 * is printed with the stalls of its measured window, so that a p99 can be read against them. A stall shorter than
 * the sleep, or of the other CPU only, can go unseen: a count of 0 is no proof of a quiet window.
 */
final class StallMeter extends Thread {
    static final long THRESHOLD_MS = 5;
    /** 200 wakeups a second: few beside the tens of thousands of context switches of a measured proxy. */
    private static final long SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** A stall: when it ended (System.nanoTime) and how long the thread overslept. */
    record Stall(long endNanos, long nanos) {}

    /** The stalls of a window: how many, their total and the longest, in ms. */
    record Summary(int count, double totalMs, double longestMs) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "machine_stalls=%d stalled_ms=%.1f longest_stall_ms=%.1f", count, totalMs, longestMs);
        }
    }

    private final List<Stall> stalls = new ArrayList<>();

    StallMeter() {
        super("stall-meter");
        setDaemon(true);
        setPriority(MAX_PRIORITY);
    }

    @Override
    public void run() {
        long threshold = TimeUnit.MILLISECONDS.toNanos(THRESHOLD_MS);
        while (!isInterrupted()) {
            long t0 = System.nanoTime();
            LockSupport.parkNanos(SLEEP_NANOS);
            long now = System.nanoTime();
            long late = now - t0 - SLEEP_NANOS;
            if (late >= threshold) {
                synchronized (stalls) {
                    stalls.add(new Stall(now, late));
                }
            }
        }
    }

    /** The stalls that ended within [fromNanos, toNanos]. */
    Summary between(long fromNanos, long toNanos) {
        return summarize(snapshot(), fromNanos, toNanos);
    }

    private List<Stall> snapshot() {
        synchronized (stalls) {
            return List.copyOf(stalls);
        }
    }

    static Summary summarize(List<Stall> all, long fromNanos, long toNanos) {
        int n = 0;
        long total = 0;
        long longest = 0;
        for (Stall s : all) {
            if (s.endNanos() < fromNanos || s.endNanos() > toNanos) continue;
            n++;
            total += s.nanos();
            longest = Math.max(longest, s.nanos());
        }
        return new Summary(n, total / 1e6, longest / 1e6);
    }
}
