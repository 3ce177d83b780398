package io.tandem.testkit;

import io.tandem.control.Controller;
import io.tandem.control.Decision;
import io.tandem.control.Observation;
import io.tandem.control.Observations;
import io.tandem.control.SiteReport;
import io.tandem.model.config.TimingConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Raft, abstracted to what the controller relies on: one committed log (here, its state), a leader that exists
 * only while it reaches a majority, and a new leader elected after a random election timeout among the peers
 * that reach a majority, the witness first as production configures it. A new leader starts with no heartbeat
 * heard and {@code leaderForMs} 0, so it grants every peer a full fail_after.
 */
public final class SimRaft {
    static final int MAX_DECISIONS_PER_TICK = 10;
    private static final long NEVER = Long.MIN_VALUE;

    /** Called for every decision the leader takes, with the state before and after its command (if any). */
    interface DecisionListener {
        void decided(Decision d, ClusterState before, ClusterState after, long now);
    }

    private final SimNetwork net;
    private final SimAgent[] peers;
    private final TimingConfig timing;
    private final Controller controller;
    private final Random rnd;
    private final StepLog log;
    private final int witness;
    private final long[] heardAt;
    private final SiteReport[] reports;
    private ClusterState state = ClusterState.empty();
    private int leader = -1;
    private long term;
    private long leaderSince;
    private long nextTickAt;
    private long electionAt;

    SimRaft(SimNetwork net, SimAgent[] peers, TimingConfig timing, Controller controller, Random rnd, StepLog log) {
        this.net = net;
        this.peers = peers;
        this.timing = timing;
        this.controller = controller;
        this.rnd = rnd;
        this.log = log;
        this.witness = Arrays.stream(peers).filter(p -> p.witness).mapToInt(p -> p.index).findFirst().orElse(-1);
        this.heardAt = new long[peers.length];
        this.reports = new SiteReport[peers.length];
        this.electionAt = electionDelay(0);
    }

    public ClusterState state() {
        return state;
    }

    public int leader() {
        return leader;
    }

    public long term() {
        return term;
    }

    public long leaderSince() {
        return leaderSince;
    }

    /** The time the leader last processed a heartbeat of {@code peer} in this term, or empty when it has not. */
    public java.util.OptionalLong heardAt(int peer) {
        return leader < 0 || heardAt[peer] == NEVER ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(heardAt[peer]);
    }

    public long electionAt() {
        return leader >= 0 ? -1 : electionAt;
    }

    /** Peers up and connected both ways to {@code p} (counting itself) form a majority. */
    public boolean reachesMajority(int p) {
        if (!peers[p].up) return false;
        int count = 0;
        for (SimAgent q : peers) {
            if (q.up && net.connected(p, q.index)) count++;
        }
        return count > peers.length / 2;
    }

    /** Leadership bookkeeping for this step: step down without a majority, elect when the timeout elapses. */
    void step(long now) {
        if (leader >= 0 && !reachesMajority(leader)) {
            String why = peers[leader].up ? "lost its majority" : "crashed";
            int was = leader;
            log.add(now, () -> "raft: leader " + peers[was].name + " " + why + "; election at +timeout");
            leader = -1;
            electionAt = electionDelay(now);
        }
        if (leader < 0 && now >= electionAt) {
            List<Integer> candidates = new ArrayList<>();
            for (SimAgent p : peers) {
                if (reachesMajority(p.index)) candidates.add(p.index);
            }
            if (candidates.isEmpty()) {
                electionAt = electionDelay(now);
                log.add(now, () -> "raft: no peer reaches a majority; next election attempt at " + electionAt);
                return;
            }
            leader = candidates.contains(witness) ? witness : candidates.get(rnd.nextInt(candidates.size()));
            term++;
            leaderSince = now;
            nextTickAt = now;
            Arrays.fill(heardAt, NEVER);
            Arrays.fill(reports, null);
            log.add(now, () -> "raft: " + peers[leader].name + " elected leader of term " + term + " from " + candidates.size() + " candidates");
        }
    }

    private long electionDelay(long now) {
        long min = timing.electionTimeoutMin().toMillis();
        long max = timing.electionTimeoutMax().toMillis();
        long stepMs = Simulation.STEP_MS;
        return now + stepMs * ((min + (long) (rnd.nextDouble() * (max - min + 1))) / stepMs);
    }

    /**
     * A heartbeat reaches {@code to}: answered only by the current leader while it reaches a majority (Ratis'
     * linearizable read); the leader records when it processed it. Returns the state for the reply, if answered.
     */
    ClusterState heartbeat(int from, int to, SiteReport report, long now) {
        if (to != leader || !reachesMajority(leader)) return null;
        heardAt[from] = now;
        reports[from] = report;
        return state;
    }

    /** An operator's request through the API: committed only by a leader that reaches a majority. */
    boolean submit(Command c) {
        if (leader < 0 || !reachesMajority(leader)) return false;
        state = state.apply(c);
        return true;
    }

    /** The leader's controller loop, once per heartbeat interval: decide, commit, apply, ask again, up to ten times. */
    void tick(long now, DecisionListener listener) {
        if (leader < 0 || now < nextTickAt) return;
        nextTickAt += timing.heartbeat().toMillis();
        Observations obs = observations(now);
        for (int i = 0; i < MAX_DECISIONS_PER_TICK; i++) {
            Decision d = controller.decide(state, obs, now);
            ClusterState before = state;
            if (d.command().isPresent()) {
                Command c = d.command().get();
                state = state.apply(c);
            }
            listener.decided(d, before, state, now);
            if (d.command().isEmpty()) break;
        }
    }

    Observations observations(long now) {
        Map<String, Observation> m = new LinkedHashMap<>();
        for (SimAgent p : peers) {
            if (heardAt[p.index] != NEVER) {
                m.put(p.name, new Observation(p.name, true, now - heardAt[p.index], reports[p.index]));
            }
        }
        return new Observations(now - leaderSince, m);
    }
}
