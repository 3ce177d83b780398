package io.tandem.testkit;

import java.util.Map;
import java.util.TreeMap;

/**
 * A simulated PostgreSQL resource across sites, reduced to what failover can get wrong: each site's copy is a
 * position (LSN) on a timeline. Timelines fork as in PostgreSQL: promoting a copy at epoch e starts timeline e,
 * whose history below its fork point is its parent's. A standby that diverged rewinds to the common point
 * (pg_rewind) before it streams. Acknowledged positions are kept per timeline, so "no acknowledged write lost"
 * is the question: does the new primary's history contain every acknowledged position?
 */
public final class SimDatabase {
    /** A site's copy: its timeline and how far along it it is. Survives crashes (it is on disk). */
    public static final class Copy {
        long timeline;
        long lsn;

        public long timeline() {
            return timeline;
        }

        public long lsn() {
            return lsn;
        }

        @Override
        public String toString() {
            return lsn + "@tl" + timeline;
        }
    }

    private record Timeline(long parent, long fork) {}

    private final String resource;
    private final Map<Long, Timeline> timelines = new TreeMap<>();
    private final Map<String, Copy> copies = new TreeMap<>();
    /** The highest acknowledged position on each timeline (positions below a timeline's fork belong to its ancestors). */
    private final Map<Long, Long> acked = new TreeMap<>();

    public SimDatabase(String resource, Iterable<String> sites) {
        this.resource = resource;
        timelines.put(0L, new Timeline(0, 0));
        sites.forEach(s -> copies.put(s, new Copy()));
    }

    public String resource() {
        return resource;
    }

    public Copy copy(String site) {
        return copies.get(site);
    }

    public boolean hosts(String site) {
        return copies.containsKey(site);
    }

    /** The copy at {@code site} starts writing at {@code epoch}: a new timeline forks from where it stands. */
    public void promote(String site, long epoch) {
        Copy c = copies.get(site);
        if (c.timeline == epoch) return;
        if (timelines.containsKey(epoch)) {
            throw new IllegalStateException("timeline " + epoch + " of " + resource + " started twice (second by " + site + ")");
        }
        timelines.put(epoch, new Timeline(c.timeline, c.lsn));
        c.timeline = epoch;
    }

    public void write(String site, long bytes) {
        copies.get(site).lsn += bytes;
    }

    /** One replication step of {@code standby} from {@code primary}, rewinding first if their histories diverged. */
    public void stream(String standby, String primary, long maxBytes) {
        Copy s = copies.get(standby);
        Copy p = copies.get(primary);
        if (s.timeline != p.timeline) {
            long common = agree(s.timeline, p.timeline);
            if (s.lsn > common) s.lsn = common;
            s.timeline = p.timeline;
        }
        s.lsn = Math.min(p.lsn, s.lsn + maxBytes);
    }

    /** How far along the primary's history the standby's copy goes: its position if it is a prefix, else the common point. */
    public long shared(String standby, String primary) {
        Copy s = copies.get(standby);
        Copy p = copies.get(primary);
        return Math.min(s.lsn, Math.min(p.lsn, agree(s.timeline, p.timeline)));
    }

    /** The primary acknowledged everything up to {@code lsn} on its history. */
    public void acknowledge(String primary, long lsn) {
        long tl = owner(copies.get(primary).timeline, lsn);
        acked.merge(tl, lsn, Math::max);
    }

    /** The first acknowledged position missing from the copy at {@code site}, or -1 when it has them all. */
    public long firstLostAck(String site) {
        Copy c = copies.get(site);
        for (Map.Entry<Long, Long> e : acked.entrySet()) {
            long lsn = e.getValue();
            if (lsn == 0) continue;
            if (lsn > c.lsn || owner(c.timeline, lsn) != e.getKey()) return lsn;
        }
        return -1;
    }

    public Map<Long, Long> acked() {
        return java.util.Collections.unmodifiableMap(acked);
    }

    /** The timeline that wrote position {@code lsn} in the history of timeline {@code tl}. */
    private long owner(long tl, long lsn) {
        long t = tl;
        while (t != 0 && lsn <= timelines.get(t).fork()) t = timelines.get(t).parent();
        return t;
    }

    /** The position up to which the histories of two timelines are the same. */
    private long agree(long a, long b) {
        if (a == b) return Long.MAX_VALUE;
        // the newer timeline forked from an older one; walk it back towards the other
        long newer = Math.max(a, b);
        long older = Math.min(a, b);
        Timeline t = timelines.get(newer);
        return Math.min(t.fork(), agree(t.parent(), older));
    }

    @Override
    public String toString() {
        return resource + " copies " + copies + " acked " + acked;
    }
}
