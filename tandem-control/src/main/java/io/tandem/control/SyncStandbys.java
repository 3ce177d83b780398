package io.tandem.control;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The primary's side of the in-sync handshake (sync mode), for one resource: whom it waits for before
 * acknowledging a write (PostgreSQL synchronous_standby_names), and whom it reports waiting for
 * ({@link ResourceReport#syncStandbys()}). The controller adds a standby to the in-sync set only once the primary
 * reports it, so the primary never acknowledges a write the in-sync set lacks, even before it learns of the entry.
 * It waits for every in-sync site it knows of and for every standby that has caught up with it. It stops waiting
 * for a site only after a quorum answered a heartbeat that no longer reported it, with the site outside the
 * in-sync set: every later decision of the controller sees that report. A site leaving the in-sync set (not in
 * {@code knownInSync}, which is the set less its leaving sites) is not reported, and is let go once an answer shows
 * it removed from the set. All of it belongs to one epoch of the site
 * as primary: promoted again at a later epoch, it starts afresh from that epoch's in-sync set, since a report of an
 * older epoch never adds to a newer in-sync set (and a set kept from an older term made a new primary wait for a
 * former primary that was still re-cloning). Called only while the site is the primary. Not thread-safe; time is
 * passed in.
 */
public final class SyncStandbys {
    private static final long NOT_SENT = Long.MAX_VALUE;

    private final TreeSet<String> waitFor = new TreeSet<>();
    private final TreeSet<String> reported = new TreeSet<>();
    /** Sites no longer reported, with the send time of the first heartbeat that left them out. */
    private final TreeMap<String, Long> releasing = new TreeMap<>();
    private long epoch = -1;

    /** Each tick on the primary: wait for the in-sync set it knows of and the caught-up standbys; let the others go. */
    public void update(long primaryEpoch, Collection<String> others, Collection<String> knownInSync, Collection<String> caughtUp) {
        if (primaryEpoch != epoch) {
            epoch = primaryEpoch;
            waitFor.clear();
            reported.clear();
            releasing.clear();
        }
        for (String site : others) {
            if (knownInSync.contains(site) || caughtUp.contains(site)) {
                waitFor.add(site);
                reported.add(site);
                releasing.remove(site);
            } else if (reported.remove(site)) {
                releasing.put(site, NOT_SENT);
            }
        }
    }

    /** Whom to wait for before acknowledging a write: a superset of the in-sync set the controller may hold. */
    public Set<String> waitFor() {
        return java.util.Collections.unmodifiableSet(waitFor);
    }

    /** True while a site is to be let go: the primary's writes may be waiting for it, so heartbeats should not. */
    public boolean releasing() {
        return !releasing.isEmpty();
    }

    /** Whom to report waiting for in the next heartbeat. */
    public List<String> reported() {
        return List.copyOf(reported);
    }

    /** A heartbeat carrying {@link #reported()} was sent at {@code atMs}. */
    public void heartbeatSent(long atMs) {
        releasing.replaceAll((site, since) -> since == NOT_SENT ? atMs : since);
    }

    /** A quorum leader answered the heartbeat sent at {@code sentAtMs}; {@code inSync} is the resource's in-sync set in its answer. */
    public void replied(long sentAtMs, Collection<String> inSync) {
        releasing.entrySet().removeIf(e -> {
            if (e.getValue() > sentAtMs) return false;
            if (inSync.contains(e.getKey())) {
                e.setValue(NOT_SENT); // still in the set (leaving it): tell the next heartbeat too, and keep waiting
                return false;
            }
            waitFor.remove(e.getKey());
            return true;
        });
    }
}
