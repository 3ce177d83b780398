package io.tandem.testkit;

import io.tandem.control.Controller;
import io.tandem.control.Decision;
import io.tandem.control.LocalChange;
import io.tandem.control.LocalRole;
import io.tandem.control.ResourceReport;
import io.tandem.control.SiteReport;
import io.tandem.control.SyncStandbys;
import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.ReplicationMode;
import io.tandem.model.config.ResourceConfig;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.config.TimingConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.ResourceState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * One seeded schedule of the whole control plane: peers running the real {@link io.tandem.control.Lease},
 * an abstract Raft whose leader runs the real {@link Controller}, a simulated network and simulated databases,
 * all on a simulated clock advanced in fixed steps. Faults come from a {@link FaultPlan}; a quiet period with
 * every link healed follows, at whose end liveness is checked. {@link Invariants} are checked after every step.
 * Nothing here reads the wall clock, starts a thread or iterates a hash-ordered collection, so a seed replays exactly.
 */
public final class Simulation {
    public static final int STEP_MS = 5;
    /** Bytes a writable primary writes per millisecond, and the most a standby replays per millisecond. */
    static final long WRITE_RATE = 1000;
    static final long CATCH_UP_RATE = 3000;
    private static final int[] DELAYS = {0, 10, 20, 50, 100};
    private static final double[] DROPS = {0, 0.05, 0.2, 0.5};

    /** What a finished schedule did, for the summary of a bulk run. */
    public record Result(long seed, String topology, long simulatedMs, int promotions, boolean livenessChecked) {}

    record Heartbeat(long sentAt, SiteReport report, int incarnation) {}

    record Reply(long sentAt, ClusterState state, int incarnation) {}

    final long seed;
    final Random rnd;
    final TandemConfig config;
    final TimingConfig timing;
    final StepLog log;
    final SimAgent[] peers;
    final List<String> names = new ArrayList<>();
    final Map<String, SimDatabase> dbs = new TreeMap<>();
    final Map<String, long[]> caughtUpSince = new TreeMap<>();
    final SimNetwork net;
    final SimRaft raft;
    final FaultPlan plan;
    final Invariants invariants;
    long now;
    int promotions;

    public Simulation(long seed, boolean logging, Coverage coverage) {
        this(seed, null, logging, coverage);
    }

    /** A schedule on a given topology ({@code null}: drawn from {@link SimTopologies} by the seed). */
    public Simulation(long seed, TandemConfig topology, boolean logging, Coverage coverage) {
        this.seed = seed;
        this.rnd = new Random(seed);
        TandemConfig drawn = SimTopologies.pick(rnd);
        this.config = topology != null ? topology : drawn;
        this.timing = config.timing();
        this.log = new StepLog(logging);
        List<PeerConfig> pcs = config.peers();
        this.peers = new SimAgent[pcs.size()];
        for (int i = 0; i < pcs.size(); i++) {
            PeerConfig p = pcs.get(i);
            List<String> here = config.resources().stream().filter(r -> r.sites().contains(p.name())).map(ResourceConfig::name).toList();
            peers[i] = new SimAgent(i, p.name(), p.isWitness(), here, timing);
            names.add(p.name());
        }
        for (ResourceConfig rc : config.resources()) dbs.put(rc.name(), new SimDatabase(rc.name(), rc.sites()));
        this.net = new SimNetwork(peers.length, STEP_MS, DELAYS[rnd.nextInt(DELAYS.length - 1)]);
        this.raft = new SimRaft(net, peers, timing, new Controller(config), rnd, log);
        this.plan = FaultPlan.random(rnd, STEP_MS);
        this.invariants = new Invariants(this, coverage);
    }

    /** Runs the schedule to its end; throws {@link SimulationFailure} on the first broken invariant. */
    public StepLog log() {
        return log;
    }

    public Result run() {
        try {
            return runUnchecked();
        } catch (Invariants.Violation v) {
            throw new SimulationFailure(seed, config.source(), now, v.getMessage(), log);
        } catch (RuntimeException e) {
            throw new SimulationFailure(seed, config.source(), now, "unexpected " + e, log, e);
        }
    }

    private Result runUnchecked() {
        log.add(0, () -> "topology " + config.source() + "; faults " + plan.faults() + "; quiet from " + plan.faultsEndMs());
        for (SimAgent p : peers) p.start(firstHeartbeat(0));
        long quietAt = plan.faultsEndMs();
        long end = quietAt + invariants.livenessBoundMs(DELAYS[DELAYS.length - 1]) + 1000;
        int next = 0;
        for (now = 0; now <= end; now += STEP_MS) {
            while (next < plan.faults().size() && plan.faults().get(next).atMs() <= now) {
                inject(plan.faults().get(next++).kind());
            }
            if (now == quietAt) quiet();
            raft.step(now);
            deliver();
            raft.tick(now, this::decided);
            agents();
            dataPlane();
            invariants.afterStep(now);
        }
        return new Result(seed, config.source(), now, promotions, invariants.livenessChecked());
    }

    private long firstHeartbeat(long from) {
        long hb = timing.heartbeat().toMillis();
        return from + STEP_MS * (rnd.nextInt((int) hb) / STEP_MS);
    }

    private void decided(Decision d, ClusterState before, ClusterState after, long at) {
        if (d.command().isPresent()) {
            log.add(at, () -> "leader " + names.get(raft.leader()) + ": " + d.reason() + (before == after ? " (no effect)" : ""));
        }
        invariants.onDecision(d, before, after);
        if (d.command().orElse(null) instanceof io.tandem.model.state.Command.Promote && before != after) promotions++;
    }

    private void deliver() {
        for (SimNetwork.Message m : net.due(now)) {
            SimAgent to = peers[m.to()];
            if (!to.up) continue;
            if (m.payload() instanceof Heartbeat h) {
                if (h.incarnation() != peers[m.from()].incarnation) continue; // its connection died with the process
                ClusterState s = raft.heartbeat(m.from(), m.to(), h.report(), now);
                if (s != null) net.send(m.to(), m.from(), new Reply(h.sentAt(), s, h.incarnation()), now, rnd);
            } else if (m.payload() instanceof Reply r && r.incarnation() == to.incarnation) {
                to.lease.renewed(r.sentAt(), r.state());
                for (String res : to.resources) to.sync.get(res).replied(r.sentAt(), r.state().resource(res).map(ResourceState::inSync).orElse(List.of()));
            }
        }
    }

    private void agents() {
        long hb = timing.heartbeat().toMillis();
        for (SimAgent p : peers) {
            if (!p.up) continue;
            if (now >= p.nextHeartbeatAt) {
                p.nextHeartbeatAt += hb;
                if (raft.leader() >= 0) {
                    net.send(p.index, raft.leader(), new Heartbeat(now, report(p), p.incarnation), now, rnd);
                    p.sync.values().forEach(w -> w.heartbeatSent(now));
                }
            }
            for (LocalChange c : p.lease.tick(now)) {
                log.add(now, () -> p.name + "/" + c.resource() + ": " + c.from() + " -> " + c.to() + " at epoch " + c.epoch() + " (" + c.reason() + ")");
                if (c.to() == LocalRole.PRIMARY) {
                    dbs.get(c.resource()).promote(p.name, c.epoch());
                    invariants.onLocalPromotion(p, c);
                }
            }
            invariants.afterAgentTick(p, now);
        }
    }

    private SiteReport report(SimAgent p) {
        Map<String, ResourceReport> rs = new TreeMap<>();
        for (String r : p.resources) {
            LocalRole role = p.lease.role(r);
            long notWorking = role == LocalRole.FENCED ? 0 : Math.max(0, now - p.workedAt.get(r));
            rs.put(r, new ResourceReport(role, p.lease.epoch(r), dbs.get(r).copy(p.name).lsn(), p.sync.get(r).reported(), true, notWorking));
        }
        return new SiteReport(p.name, p.lease.fenced(now), rs, p.lease.known().version());
    }

    /** Standbys stream from the primary they know of; writable primaries write; in sync mode they acknowledge. */
    private void dataPlane() {
        for (ResourceConfig rc : config.resources()) {
            SimDatabase db = dbs.get(rc.name());
            String[] streamedFrom = new String[peers.length];
            for (String site : rc.sites()) {
                SimAgent s = peer(site);
                if (s.up && s.lease.role(rc.name()) != LocalRole.STANDBY && !s.stalled(now)) s.workedAt.put(rc.name(), now);
                if (!s.up || s.lease.role(rc.name()) != LocalRole.STANDBY || s.stalled(now)) continue;
                ResourceState known = s.lease.known().resource(rc.name()).orElse(null);
                if (known == null || !known.hasPrimary() || known.primary().equals(site)) continue;
                SimAgent p = peer(known.primary());
                if (p.up && !p.stalled(now) && net.connected(s.index, p.index) && net.connected(p.index, s.index)
                        && db.copy(p.name).timeline() == known.epoch()) {
                    db.stream(site, p.name, CATCH_UP_RATE * STEP_MS);
                    streamedFrom[s.index] = p.name;
                    s.workedAt.put(rc.name(), now);
                }
            }
            trackCaughtUp(rc, db, streamedFrom);
            for (String site : rc.sites()) {
                SimAgent p = peer(site);
                if (rc.mode() == ReplicationMode.SYNC && p.up && p.lease.role(rc.name()) == LocalRole.PRIMARY) {
                    chooseSyncStandbys(p, rc, db, streamedFrom);
                }
                if (!p.writable(rc.name(), now) || p.stalled(now)) continue;
                db.write(site, WRITE_RATE * STEP_MS);
                if (rc.mode() == ReplicationMode.SYNC) db.acknowledge(site, acknowledgeable(p, db));
            }
        }
    }

    /** Since when each site has been streaming from the writable primary with nothing left to replay (-1: it is not). */
    private void trackCaughtUp(ResourceConfig rc, SimDatabase db, String[] streamedFrom) {
        long[] since = caughtUpSince.computeIfAbsent(rc.name(), k -> newSince());
        String writer = rc.sites().stream().filter(x -> peer(x).writable(rc.name(), now)).findFirst().orElse(null);
        for (String site : rc.sites()) {
            int i = peer(site).index;
            boolean caught = writer != null && writer.equals(streamedFrom[i]) && db.shared(site, writer) == db.copy(writer).lsn();
            since[i] = !caught ? -1 : since[i] < 0 ? now : since[i];
        }
    }

    private long[] newSince() {
        long[] a = new long[peers.length];
        java.util.Arrays.fill(a, -1);
        return a;
    }

    /** A primary waits for the in-sync set it knows of, and for standbys streaming from it that have caught up. */
    private void chooseSyncStandbys(SimAgent p, ResourceConfig rc, SimDatabase db, String[] streamedFrom) {
        List<String> others = rc.sites().stream().filter(s -> !s.equals(p.name)).toList();
        List<String> caughtUp = others.stream()
                .filter(s -> p.name.equals(streamedFrom[peer(s).index]) && db.shared(s, p.name) == db.copy(p.name).lsn()).toList();
        List<String> inSync = p.lease.known().resource(rc.name()).map(ResourceState::required).orElse(List.of());
        p.sync.get(rc.name()).update(p.lease.epoch(rc.name()), others, inSync, caughtUp);
    }

    /** The primary acknowledges up to what every site it waits for has (PostgreSQL synchronous_commit). */
    private long acknowledgeable(SimAgent p, SimDatabase db) {
        long upTo = db.copy(p.name).lsn();
        for (String s : p.sync.get(db.resource()).waitFor()) upTo = Math.min(upTo, db.shared(s, p.name));
        return upTo;
    }

    /** The faults stop: every link heals, messages stop being dropped, and crashed peers mostly come back. */
    private void quiet() {
        net.healAll();
        net.setDropProbability(0);
        for (SimAgent p : peers) {
            if (!p.broken()) p.stalledUntil = 0;
            if (!p.up && rnd.nextInt(4) != 0) restart(p);
        }
        log.add(now, () -> "quiet period: links healed, drops off, down: " + down());
        invariants.startQuietPeriod(now);
    }

    private void inject(FaultPlan.Kind kind) {
        int n = peers.length;
        int a = rnd.nextInt(n);
        int b = (a + 1 + rnd.nextInt(n - 1)) % n;
        switch (kind) {
            case CRASH -> crash(peers[a]);
            case CRASH_PRIMARY -> primaryPeer().ifPresent(this::crash);
            case CRASH_LEADER -> {
                if (raft.leader() >= 0) crash(peers[raft.leader()]);
            }
            case RESTART -> {
                List<SimAgent> downs = java.util.Arrays.stream(peers).filter(p -> !p.up).toList();
                if (!downs.isEmpty()) restart(downs.get(rnd.nextInt(downs.size())));
            }
            case CUT -> {
                net.cut(a, b);
                net.cut(b, a);
            }
            case CUT_ONE_WAY -> net.cut(a, b);
            case HEAL_LINK -> {
                net.heal(a, b);
                net.heal(b, a);
            }
            case ISOLATE -> isolate(a, rnd.nextInt(3));
            case ISOLATE_PRIMARY -> primaryPeer().ifPresent(p -> isolate(p.index, rnd.nextInt(3)));
            case HEAL_ALL -> net.healAll();
            case DROP -> net.setDropProbability(DROPS[rnd.nextInt(DROPS.length)]);
            case DELAY -> net.setMaxDelayMs(DELAYS[rnd.nextInt(DELAYS.length)]);
            case BREAK_PRIMARY_DB -> primaryPeer().ifPresent(p -> p.stalledUntil = Long.MAX_VALUE);
            case STALL_DB -> {
                if (!peers[a].witness && !peers[a].broken()) peers[a].stalledUntil = now + 500 + STEP_MS * rnd.nextInt(3500 / STEP_MS);
            }
            case SWITCHOVER -> {
                ResourceConfig rc = config.resources().get(rnd.nextInt(config.resources().size()));
                String target = rc.sites().get(rnd.nextInt(rc.sites().size()));
                boolean taken = raft.submit(new io.tandem.model.state.Command.RequestSwitchover(rc.name(), target, "operator", now));
                log.add(now, () -> "operator asks to switch " + rc.name() + " over to " + target + (taken ? "" : " (no quorum: refused)"));
            }
        }
        log.add(now, () -> "fault " + kind + " (a=" + names.get(a) + ", b=" + names.get(b) + "); cuts: " + net.describeCuts(names)
                + "; drop " + net.dropProbability() + "; delay<=" + net.maxDelayMs() + "ms; down: " + down());
    }

    /** Cuts a peer's links: 0 both ways, 1 outgoing only, 2 incoming only. */
    private void isolate(int p, int how) {
        for (int q = 0; q < peers.length; q++) {
            if (how != 2) net.cut(p, q);
            if (how != 1) net.cut(q, p);
        }
    }

    private java.util.Optional<SimAgent> primaryPeer() {
        for (ResourceConfig rc : config.resources()) {
            for (SimAgent p : peers) {
                if (p.up && p.resources.contains(rc.name()) && p.lease.role(rc.name()) == LocalRole.PRIMARY) return java.util.Optional.of(p);
            }
        }
        return java.util.Optional.empty();
    }

    private void crash(SimAgent p) {
        if (p.up) p.crash();
    }

    private void restart(SimAgent p) {
        if (!p.up) p.start(firstHeartbeat(now));
    }

    private String down() {
        List<String> d = java.util.Arrays.stream(peers).filter(p -> !p.up).map(p -> p.name).toList();
        return d.isEmpty() ? "none" : String.join(",", d);
    }

    SimAgent peer(String name) {
        return peers[names.indexOf(name)];
    }

    /** A one-line picture of the world, for failure messages. */
    String describe() {
        StringBuilder b = new StringBuilder();
        b.append("leader=").append(raft.leader() < 0 ? "none" : names.get(raft.leader())).append(" state=v").append(raft.state().version());
        raft.state().resources().values().forEach(r -> b.append(' ').append(r.name()).append("{primary=").append(r.primary())
                .append(" epoch=").append(r.epoch()).append(" inSync=").append(r.inSync()).append('}'));
        raft.state().peers().values().forEach(p -> b.append(' ').append(p.name()).append('=').append(p.health()));
        for (SimAgent p : peers) {
            b.append("\n  ").append(p.name).append(p.up ? " up" : " DOWN");
            if (p.up) {
                b.append(" lease ").append(p.lease.valid(now) ? "valid" : "invalid").append(" renewedFrom=").append(p.lease.lastRenewedFromMs());
                for (String r : p.resources) b.append(' ').append(r).append('=').append(p.lease.role(r)).append('@').append(p.lease.epoch(r));
            }
        }
        dbs.values().forEach(db -> b.append("\n  ").append(db));
        b.append("\n  cuts: ").append(net.describeCuts(names));
        return b.toString();
    }
}
