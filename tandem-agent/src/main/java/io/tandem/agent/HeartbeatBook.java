package io.tandem.agent;

import io.tandem.control.Observation;
import io.tandem.control.Observations;
import io.tandem.control.SiteReport;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The leader's memory of heartbeats, kept outside the Raft log (4 per second per peer would bloat it).
 * Reset when this peer becomes leader: a new leader has heard nobody yet and grants each peer a full
 * fail_after from the moment it took office.
 */
final class HeartbeatBook {
    /** {@code sinceMs}: when the run of beats this one belongs to began (no gap over {@code runBreakMs}). */
    private record Beat(long atMs, long sinceMs, SiteReport report) {}


    private final LongSupplier monotonicMs;
    /** A gap this long between two beats of a peer starts a new run: several missed heartbeats, not one slow one. */
    private final long runBreakMs;
    private final Map<String, Beat> beats = new ConcurrentHashMap<>();
    private volatile long leaderSinceMs;
    private volatile DecisionNote decision = DecisionNote.NONE;

    HeartbeatBook(LongSupplier monotonicMs, long runBreakMs) {
        this.monotonicMs = monotonicMs;
        this.runBreakMs = runBreakMs;
        this.leaderSinceMs = monotonicMs.getAsLong();
    }

    void tookOffice() {
        beats.clear();
        decision = DecisionNote.NONE;
        leaderSinceMs = monotonicMs.getAsLong();
    }

    void record(String peer, SiteReport report) {
        long now = monotonicMs.getAsLong();
        beats.compute(peer, (p, prev) -> new Beat(now, prev == null || now - prev.atMs() > runBreakMs ? now : prev.sinceMs(), report));
    }

    /** How long this leader has heard {@code peer} without a gap over {@code runBreakMs} up to now; 0 when not heard lately. */
    long heardSteadilyForMs(String peer) {
        Beat b = beats.get(peer);
        long now = monotonicMs.getAsLong();
        return b == null || now - b.atMs() > runBreakMs ? 0 : now - b.sinceMs();
    }

    /** The controller's latest decision on this leader. */
    void decided(DecisionNote d) {
        decision = d;
    }

    DecisionNote decision() {
        return decision;
    }

    long leaderForMs() {
        return monotonicMs.getAsLong() - leaderSinceMs;
    }

    Observations observations(Collection<String> peers) {
        long now = monotonicMs.getAsLong();
        Map<String, Observation> out = new TreeMap<>();
        for (String p : peers) {
            Beat b = beats.get(p);
            out.put(p, b == null ? new Observation(p, false, now - leaderSinceMs, SiteReport.none(p))
                    : new Observation(p, true, now - b.atMs(), b.report()));
        }
        return new Observations(now - leaderSinceMs, out);
    }
}
