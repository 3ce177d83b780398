package io.tandem.testkit;

import io.tandem.control.Decision;
import io.tandem.control.Fsm;
import io.tandem.control.LocalChange;
import io.tandem.control.LocalRole;
import io.tandem.control.Transition;
import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.ReplicationMode;
import io.tandem.model.config.ResourceConfig;
import io.tandem.model.config.TimingConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import io.tandem.model.state.MemberState;
import io.tandem.model.state.PeerHealth;
import io.tandem.model.state.ResourceState;
import java.util.OptionalLong;

/**
 * The product's invariants, checked after every simulated step and at every decision:
 * (a) one writer per resource; (b) a FAILED or fenced site never writes, and no promotion names a FAILED site;
 * (c) in sync mode only an in-sync site is promoted and it holds every acknowledged write; (d) after the faults
 * stop, with a majority up and an eligible in-sync site up, a writable primary exists within a bound;
 * (e) after the faults stop, a standby that keeps up with the writable primary re-enters the in-sync set (sync mode).
 * Also: every transition the controller emits, and every change of a site's member state, is a declared row.
 */
final class Invariants {
    /** A broken invariant; {@link Simulation#run} turns it into a {@link SimulationFailure} with the seed. */
    static final class Violation extends RuntimeException {
        Violation(String message) {
            super(message, null, false, false);
        }
    }

    private final Simulation sim;
    private final Coverage coverage;
    private final TimingConfig timing;
    /** Rejoin allowance: the site declared healthy (a heartbeat and a tick), told its epoch (a heartbeat round trip), reported by the primary (a heartbeat) and added (a tick), with room to spare. */
    static final long CONVERGE_MS = 2000;
    private long quietAt = -1;
    private long livenessDeadline = -1;
    private boolean livenessChecked;

    Invariants(Simulation sim, Coverage coverage) {
        this.sim = sim;
        this.coverage = coverage;
        this.timing = sim.config.timing();
    }

    /**
     * fail_after + election_timeout_max + 2 heartbeats, as the brief states, plus one heartbeat round trip
     * (2 x the largest message delay: the heartbeat that brings the new primary its role) and one step (the
     * simulation's time grain). See {@link #startQuietPeriod} for the sequence this bounds.
     */
    long livenessBoundMs(int maxDelayMs) {
        return timing.failAfter().toMillis() + timing.electionTimeoutMax().toMillis() + 2 * timing.heartbeat().toMillis()
                + 2L * maxDelayMs + Simulation.STEP_MS;
    }

    boolean livenessChecked() {
        return livenessChecked;
    }

    void afterStep(long now) {
        ClusterState state = sim.raft.state();
        for (ResourceConfig rc : sim.config.resources()) {
            if (quietAt >= 0 && rc.mode() == ReplicationMode.SYNC) converged(rc, state, now);
            String writer = null;
            boolean serving = false;
            for (String site : rc.sites()) {
                SimAgent p = sim.peer(site);
                if (!p.writable(rc.name(), now)) continue;
                serving |= !p.broken(); // a broken copy holds the role but takes no write
                if (writer != null) {
                    fail("(a) two writable primaries of " + rc.name() + ": " + writer + " and " + site);
                }
                writer = site;
                if (state.health(site) == PeerHealth.FAILED) {
                    fail("(b) " + site + " is writable for " + rc.name() + " although the committed state has it FAILED");
                }
            }
            if (livenessDeadline >= 0 && now >= livenessDeadline) {
                livenessChecked = true;
                if (!serving && !inPlannedSwitchover(state, rc.name(), now)) {
                    fail("(d) no writable primary of " + rc.name() + " " + (now - livenessDeadline + livenessBoundMs(sim.net.maxDelayMs()))
                            + "ms after the faults stopped (bound " + livenessBoundMs(sim.net.maxDelayMs()) + "ms)");
                }
            }
        }
    }

    /**
     * A planned switchover (an operator's, or an automatic failback) pauses writes on purpose, for a bounded time:
     * liveness is owed again a full bound after it ends.
     */
    private boolean inPlannedSwitchover(ClusterState state, String resource, long now) {
        long bound = livenessBoundMs(sim.net.maxDelayMs());
        return state.runbooks().stream().anyMatch(rb -> rb.resource().equals(resource) && rb.kind().equals(ClusterState.SWITCHOVER)
                && (rb.running() || now - rb.endedMs() < bound));
    }

    /**
     * (e) Once the faults stopped, a standby that has streamed from the writable primary with nothing left to replay
     * for {@link #CONVERGE_MS} (counted from when there was a leader) is in the in-sync set: returned sites do rejoin.
     */
    private void converged(ResourceConfig rc, ClusterState state, long now) {
        if (sim.raft.leader() < 0) return;
        long[] since = sim.caughtUpSince.get(rc.name());
        if (since == null) return;
        ResourceState r = state.resource(rc.name()).orElse(null);
        for (String site : rc.sites()) {
            long from = since[sim.peer(site).index];
            if (from < 0 || r == null || r.inSync().contains(site)) continue;
            long waited = now - Math.max(from, Math.max(quietAt, sim.raft.leaderSince()));
            if (waited >= CONVERGE_MS) {
                fail("(e) " + site + " has been caught up with the primary of " + rc.name() + " for " + waited + "ms but is not in its in-sync set");
            }
        }
    }

    /** (b) The lease fences: once it is invalid, the agent's own tick leaves nothing PRIMARY. */
    void afterAgentTick(SimAgent p, long now) {
        if (p.lease.valid(now)) return;
        for (String r : p.resources) {
            if (p.lease.role(r) == LocalRole.PRIMARY) fail("(b) " + p.name + " kept " + r + " PRIMARY with an invalid lease");
        }
    }

    /** (c) A site that starts writing holds every write acknowledged so far. */
    void onLocalPromotion(SimAgent p, LocalChange c) {
        if (mode(c.resource()) != ReplicationMode.SYNC) return;
        long lost = sim.dbs.get(c.resource()).firstLostAck(p.name);
        if (lost >= 0) {
            fail("(c) " + p.name + " became primary of " + c.resource() + " at epoch " + c.epoch() + " without acknowledged position " + lost);
        }
    }

    void onDecision(Decision d, ClusterState before, ClusterState after) {
        if (d.transition().isPresent()) {
            Transition t = d.transition().get();
            if (!Fsm.all().contains(t)) fail("controller emitted an undeclared transition " + t);
            coverage.reached(t);
        }
        if (before == after) return;
        memberTransitions(d, before, after);
        if (d.command().get() instanceof Command.Promote p) promoted(p, before, after);
    }

    private void memberTransitions(Decision d, ClusterState before, ClusterState after) {
        for (ResourceState r : after.resources().values()) {
            if (before.resource(r.name()).isEmpty()) continue;
            for (String site : r.members()) {
                MemberState from = before.memberState(r.name(), site);
                MemberState to = after.memberState(r.name(), site);
                if (from == to) continue;
                Transition row = Fsm.MEMBER_TABLE.stream()
                        .filter(t -> t.from() == from && t.to() == to && t.reason() == d.reason().code()).findFirst()
                        .orElseThrow(() -> new Violation("undeclared member transition of " + site + "/" + r.name() + ": "
                                + from + " -> " + to + " by " + d.reason()));
                coverage.reached(row);
            }
        }
    }

    private void promoted(Command.Promote p, ClusterState before, ClusterState after) {
        if (after.health(p.site()) != PeerHealth.HEALTHY) {
            fail("(b) promotion of " + p.site() + "/" + p.resource() + " left a " + after.health(p.site()) + " primary");
        }
        if (mode(p.resource()) != ReplicationMode.SYNC) return;
        ResourceState r = before.resource(p.resource()).orElseThrow();
        if (p.runbookId() != 0 && !r.inSync().contains(p.site())) {
            fail("(c) failover promoted " + p.site() + "/" + p.resource() + " which is outside the in-sync set " + r.inSync());
        }
        long lost = sim.dbs.get(p.resource()).firstLostAck(p.site());
        if (lost >= 0) {
            fail("(c) promoted " + p.site() + "/" + p.resource() + " at epoch " + p.epoch() + " lacks acknowledged position " + lost
                    + " (" + sim.dbs.get(p.resource()) + ")");
        }
    }

    /**
     * (d) Decides at the start of the quiet period whether liveness is owed, and by when. It is owed when a majority
     * of peers is up and, for every resource, an eligible site is up that is its primary, or is in its in-sync set
     * (sync) or within max_lag_on_failover (async) and cannot be declared failed by a stale heartbeat.
     * The bound covers: an election (election_timeout_max); the new leader's grace of fail_after, or fail_after
     * since the leader last heard the old primary plus one controller tick (a heartbeat); the runbook's steps
     * committed in that same tick; the new primary's next heartbeat (a heartbeat) and its round trip.
     */
    void startQuietPeriod(long now) {
        quietAt = now;
        int up = 0;
        for (SimAgent p : sim.peers) up += p.up ? 1 : 0;
        if (up <= sim.peers.length / 2) return;
        ClusterState s = sim.raft.state();
        long extra = 0;
        for (ResourceConfig rc : sim.config.resources()) {
            if (!recoverable(rc, s, now)) return;
            ResourceState r = s.resource(rc.name()).orElse(null);
            if (r != null && r.hasPrimary() && sim.peer(r.primary()).broken()) {
                // its copy is replaced through its agent once it has not worked for copy_fail_after (it broke before now),
                // then fenced by the agent (a state and a report: two heartbeats and their delays) before the promotion
                extra = timing.copyFailAfter().toMillis() + 2 * timing.heartbeat().toMillis() + 4L * sim.net.maxDelayMs();
            }
        }
        livenessDeadline = now + livenessBoundMs(sim.net.maxDelayMs()) + extra;
    }

    private boolean recoverable(ResourceConfig rc, ClusterState s, long now) {
        ResourceState r = s.resource(rc.name()).orElse(null);
        SimDatabase db = sim.dbs.get(rc.name());
        if (r == null || !r.hasPrimary()) {
            // The first primary may be any eligible site the state holds healthy: one that crashed just before (not yet
            // declared failed) can be chosen, and in sync mode nobody may replace it, since it could have acknowledged
            // writes alone before any standby caught up. Liveness is owed only if every such site is up.
            for (String site : rc.sites()) {
                SimAgent x = sim.peer(site);
                if (s.health(site) == PeerHealth.HEALTHY && sim.config.peer(site).map(PeerConfig::primaryEligible).orElse(false)
                        && (!x.up || x.broken())) {
                    return false;
                }
            }
        }
        for (String site : rc.sites()) {
            SimAgent x = sim.peer(site);
            if (!x.up || x.broken() || !sim.config.peer(site).map(PeerConfig::primaryEligible).orElse(false)) continue;
            if (r == null || !r.hasPrimary() || r.primary().equals(site)) return true;
            if (!safeFromStaleFailure(x, s, now)) continue;
            if (rc.mode() == ReplicationMode.SYNC ? r.inSync().contains(site)
                    : db.copy(r.primary()).lsn() - db.shared(site, r.primary()) <= rc.maxLagOnFailover().bytes()) {
                return true;
            }
        }
        return false;
    }

    /** Healthy in the state, and heard recently enough that its next heartbeat reaches the leader before fail_after. */
    private boolean safeFromStaleFailure(SimAgent x, ClusterState s, long now) {
        if (s.health(x.name) != PeerHealth.HEALTHY) return false;
        if (sim.raft.leader() < 0) return true;
        OptionalLong heard = sim.raft.heardAt(x.index);
        long nextHeardBy = now + timing.heartbeat().toMillis() + sim.net.maxDelayMs() + Simulation.STEP_MS;
        return heard.isPresent() && nextHeardBy - heard.getAsLong() < timing.failAfter().toMillis();
    }

    private ReplicationMode mode(String resource) {
        return sim.config.resource(resource).orElseThrow().mode();
    }

    private void fail(String what) {
        throw new Violation(what + "\n  world: " + sim.describe());
    }
}
