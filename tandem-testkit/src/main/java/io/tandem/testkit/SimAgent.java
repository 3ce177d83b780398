package io.tandem.testkit;

import io.tandem.control.Lease;
import io.tandem.control.LocalRole;
import io.tandem.control.SyncStandbys;
import io.tandem.model.config.TimingConfig;
import java.util.List;

/**
 * One simulated peer process: a site's agent, or the witness (which hosts no resource). It runs the real
 * {@link Lease}. A crash loses the process (and its lease); a restart begins with a fresh lease, so the agent
 * is fenced until a quorum tells it its role. Its database copies live in {@link SimDatabase} and survive.
 */
public final class SimAgent {
    final int index;
    final String name;
    final boolean witness;
    final List<String> resources;
    private final TimingConfig timing;
    boolean up;
    /** Bumped by every restart: replies addressed to an earlier incarnation are dropped, as a new connection would. */
    int incarnation;
    Lease lease;
    long nextHeartbeatAt;
    /** Until when this site's database copies hang (a fault of the server, not of the agent); 0: they do not. */
    long stalledUntil;
    /** Per resource hosted here, when its copy last did its role's work: streamed as a standby, answered as a primary. */
    final java.util.Map<String, Long> workedAt = new java.util.TreeMap<>();
    /** Per resource hosted here, whom this copy waits for as a primary; a restart starts with none. */
    final java.util.Map<String, SyncStandbys> sync = new java.util.TreeMap<>();

    SimAgent(int index, String name, boolean witness, List<String> resources, TimingConfig timing) {
        this.index = index;
        this.name = name;
        this.witness = witness;
        this.resources = List.copyOf(resources);
        this.timing = timing;
    }

    void start(long firstHeartbeatAt) {
        up = true;
        incarnation++;
        lease = new Lease(name, timing, resources);
        sync.clear();
        resources.forEach(r -> sync.put(r, new SyncStandbys()));
        resources.forEach(r -> workedAt.put(r, firstHeartbeatAt));
        nextHeartbeatAt = firstHeartbeatAt;
    }

    void crash() {
        up = false;
        lease = null;
    }

    /** Its database copies are broken for good (a stall that never ends). */
    boolean broken() {
        return stalledUntil == Long.MAX_VALUE;
    }

    boolean stalled(long now) {
        return now < stalledUntil;
    }

    /** Locally writable: up, told it is primary, and its lease still valid (the definition every invariant uses). */
    public boolean writable(String resource, long now) {
        return up && lease.role(resource) == LocalRole.PRIMARY && lease.valid(now);
    }

    public LocalRole role(String resource) {
        return up ? lease.role(resource) : LocalRole.FENCED;
    }

    public String name() {
        return name;
    }

    public boolean up() {
        return up;
    }

    public Lease lease() {
        return lease;
    }
}
