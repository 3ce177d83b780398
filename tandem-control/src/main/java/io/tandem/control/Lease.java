package io.tandem.control;

import io.tandem.model.config.TimingConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.PeerHealth;
import io.tandem.model.state.ResourceState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An agent's own view of whether it may write: the one decision an agent takes alone (conventions).
 * A heartbeat answered by a quorum leader renews the lease from the moment it was <em>sent</em>, so
 * the lease always ends before the leader can declare the site failed (fence_after &lt; fail_after).
 * Not thread-safe; the agent calls it from one loop. Time is passed in.
 */
public final class Lease {
    private final String site;
    private final long fenceAfterMs;
    /**
     * The lease is given up this much before fence_after (100 ms, at most a fifth of it), so that the fence has taken
     * effect by fence_after despite the agent's 25 ms check and the time PostgreSQL takes to stop (about 15 ms).
     */
    private final long fenceEarlyMs;
    private final Map<String, LocalRole> roles = new LinkedHashMap<>();
    private final Map<String, Long> epochs = new LinkedHashMap<>();
    private long renewedFromMs = Long.MIN_VALUE;
    private ClusterState known = ClusterState.empty();
    private boolean everRenewed;

    public Lease(String site, TimingConfig timing, List<String> resourcesHere) {
        this.site = site;
        this.fenceAfterMs = timing.fenceAfter().toMillis();
        this.fenceEarlyMs = Math.min(100, fenceAfterMs / 5);
        // An agent starts fenced: it does not know its role until a quorum tells it.
        resourcesHere.forEach(r -> {
            roles.put(r, LocalRole.FENCED);
            epochs.put(r, 0L);
        });
    }

    /** A heartbeat sent at {@code sentAtMs} was answered by the quorum leader with this state. */
    public void renewed(long sentAtMs, ClusterState state) {
        if (sentAtMs >= renewedFromMs) {
            renewedFromMs = sentAtMs;
            known = state;
            everRenewed = true;
        }
    }

    public boolean valid(long nowMs) {
        return everRenewed && nowMs - renewedFromMs < fenceAfterMs - fenceEarlyMs;
    }

    /** Brings local roles in line with the lease and the last known state; returns what changed. */
    public List<LocalChange> tick(long nowMs) {
        List<LocalChange> changes = new ArrayList<>();
        boolean valid = valid(nowMs);
        for (Map.Entry<String, LocalRole> e : roles.entrySet()) {
            String res = e.getKey();
            LocalRole was = e.getValue();
            ResourceState r = known.resource(res).orElse(null);
            LocalRole want;
            boolean graceful = false;
            long epoch = r == null ? 0 : r.epoch();
            String why;
            if (!valid) {
                want = was == LocalRole.STANDBY ? LocalRole.STANDBY : LocalRole.FENCED;
                why = everRenewed ? "no quorum contact for " + (nowMs - renewedFromMs) + "ms (fence_after " + fenceAfterMs + "ms)"
                        : "not yet told its role by a quorum";
                epoch = epochs.get(res);
            } else if (r != null && r.primary().equals(site) && known.health(site) == PeerHealth.HEALTHY
                    && known.stoppingWrites(res).isPresent()) {
                want = LocalRole.FENCED;
                graceful = true;
                why = "switchover #" + known.stoppingWrites(res).get().id() + " to " + known.stoppingWrites(res).get().toSite() + ": writes stop here";
            } else if (r != null && known.failingOverFrom(res, site).isPresent()) {
                want = LocalRole.FENCED;
                why = "failover #" + known.failingOverFrom(res, site).get().id() + " replaces this site's copy of " + res;
            } else if (r != null && r.primary().equals(site) && known.health(site) == PeerHealth.HEALTHY) {
                want = LocalRole.PRIMARY;
                why = "the cluster state names " + site + " primary of " + res + " at epoch " + epoch;
            } else {
                want = LocalRole.STANDBY;
                why = r == null || !r.hasPrimary() ? "no primary chosen yet for " + res
                        : r.primary() + " is primary of " + res + " at epoch " + epoch;
            }
            // A new epoch matters to a standby too: it must follow the new primary.
            if (want != was || (valid && epoch != epochs.get(res))) {
                changes.add(new LocalChange(res, was, want, epoch, why, graceful));
                e.setValue(want);
                epochs.put(res, epoch);
            }
        }
        return changes;
    }

    public LocalRole role(String resource) {
        return roles.getOrDefault(resource, LocalRole.FENCED);
    }

    public long epoch(String resource) {
        return epochs.getOrDefault(resource, 0L);
    }

    /** Fenced: no quorum contact within fence_after, so nothing here accepts writes. */
    public boolean fenced(long nowMs) {
        return !valid(nowMs);
    }

    public ClusterState known() {
        return known;
    }

    public long lastRenewedFromMs() {
        return renewedFromMs;
    }
}
