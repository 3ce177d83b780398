package io.tandem.control;

import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.ReplicationMode;
import io.tandem.model.config.ResourceConfig;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import io.tandem.model.state.MemberState;
import io.tandem.model.state.PeerHealth;
import io.tandem.model.state.ResourceState;
import io.tandem.model.state.Runbook;
import io.tandem.model.state.RunbookStatus;
import io.tandem.model.state.RunbookStep;

/**
 * A planned switchover of one resource as recorded steps: requested (by the operator's entry), stop-writes
 * (the old primary stops accepting writes and reports its final position), caught-up (the target has
 * everything up to that position), promote (epoch + 1), then the end once the target serves. Until the
 * promotion it aborts, and the old primary takes writes again, if the target cannot take over.
 */
final class SwitchoverRunbook {
    static final String STEP_STOP = "stop-writes";
    static final String STEP_CAUGHT_UP = "caught-up";
    /** How long the old primary may stay read-only waiting for the target before the switchover gives up. */
    static final long CATCH_UP_LIMIT_MS = 10_000;

    private final TandemConfig config;
    private final ClusterState state;
    private final ResourceConfig rc;
    private final ResourceState r;
    private final Observations obs;
    private final long now;

    SwitchoverRunbook(TandemConfig config, ClusterState state, ResourceConfig rc, ResourceState r, Observations obs, long now) {
        this.config = config;
        this.state = state;
        this.rc = rc;
        this.r = r;
        this.obs = obs;
        this.now = now;
    }

    Decision next(Runbook rb) {
        String old = rb.fromSite();
        String target = rb.toSite();
        if (!r.primary().equals(old)) {
            return confirm(rb, target);
        }
        String refusal = refusal(old, target);
        if (!refusal.isEmpty()) {
            return Controller.end(rb, RunbookStatus.ABORTED, ReasonCode.SWITCHOVER_ABORTED, refusal + "; " + old + " stays primary at epoch " + r.epoch(), now);
        }
        if (!rb.done(STEP_STOP)) {
            return Decision.of(new Command.RecordStep(rb.id(), STEP_STOP, old, "writes stop at " + old + " for the switchover to " + target, now),
                    null, ReasonCode.SWITCHOVER_STOP_WRITES, "switchover #" + rb.id() + " of " + r.name() + ": " + old + " stops writes");
        }
        long stoppedAt = stepAt(rb, STEP_STOP);
        if (now - stoppedAt > CATCH_UP_LIMIT_MS) {
            return Controller.end(rb, RunbookStatus.ABORTED, ReasonCode.SWITCHOVER_ABORTED, target + " did not catch up within "
                    + CATCH_UP_LIMIT_MS / 1000 + " s; " + old + " takes writes again at epoch " + r.epoch(), now);
        }
        ResourceReport from = obs.of(old).report().resources().get(r.name());
        ResourceReport to = obs.of(target).report().resources().get(r.name());
        // The old primary's report must come after it saw the stop-writes entry: a FENCED report from before (a lease
        // lost for a moment) says nothing about later writes, and a stale answer could make it primary again.
        boolean stopped = from != null && from.role() == LocalRole.FENCED && from.epoch() == r.epoch() && from.ready() && obs.of(old).heard()
                && obs.of(old).report().knownVersion() >= stepVersion(rb, STEP_STOP);
        if (!stopped) {
            return Decision.idle(ReasonCode.WAITING, "switchover #" + rb.id() + " of " + r.name() + ": waiting for " + old + " to stop writes");
        }
        if (to == null || to.role() != LocalRole.STANDBY || to.lsn() < from.lsn()) {
            return Decision.idle(ReasonCode.WAITING, "switchover #" + rb.id() + " of " + r.name() + ": waiting for " + target + " to reach "
                    + from.lsn() + " (at " + (to == null ? "?" : to.lsn()) + ")");
        }
        if (!rb.done(STEP_CAUGHT_UP)) {
            return Decision.of(new Command.RecordStep(rb.id(), STEP_CAUGHT_UP, target, target + " has everything " + old + " wrote (position "
                    + to.lsn() + " >= " + from.lsn() + ")", now), null, ReasonCode.SWITCHOVER_CAUGHT_UP,
                    "switchover #" + rb.id() + " of " + r.name() + ": " + target + " caught up");
        }
        long epoch = r.epoch() + 1;
        Transition t = state.memberState(r.name(), target) == MemberState.SYNC_STANDBY ? Fsm.SWITCHOVER_PROMOTED : Fsm.SWITCHOVER_PROMOTED_ASYNC;
        return Decision.of(new Command.Promote(r.name(), target, epoch, rb.id(), now), t, ReasonCode.SWITCHOVER_PROMOTED,
                "promoted " + target + "/" + r.name() + " at epoch " + epoch + " by switchover #" + rb.id() + " from " + old);
    }

    /** Why the target cannot take over now ("" when it can). */
    private String refusal(String old, String target) {
        if (target.equals(old)) return target + " is already the primary";
        if (!r.members().contains(target)) return target + " holds no copy of " + r.name();
        PeerConfig p = config.peer(target).orElse(null);
        if (p == null || !p.primaryEligible()) return target + " may not be primary (primary_eligible: false)";
        if (state.health(target) != PeerHealth.HEALTHY) return target + " is not healthy";
        if (state.health(old) != PeerHealth.HEALTHY) return "the primary " + old + " is not healthy; use a failover";
        if (rc.mode() == ReplicationMode.SYNC && state.memberState(r.name(), target) != MemberState.SYNC_STANDBY) {
            return target + " is not in the in-sync set " + r.inSync();
        }
        return "";
    }

    private Decision confirm(Runbook rb, String target) {
        ResourceReport rep = obs.of(target).report().resources().get(r.name());
        if (rep != null && rep.role() == LocalRole.PRIMARY && rep.epoch() == r.epoch() && rep.ready()) {
            long pause = now - stepAt(rb, STEP_STOP);
            return Controller.end(rb, RunbookStatus.SUCCEEDED, ReasonCode.SWITCHOVER_DONE,
                    target + " serves " + r.name() + " as primary at epoch " + r.epoch() + "; writes paused about " + pause + " ms", now);
        }
        if (state.health(target) == PeerHealth.FAILED) {
            return Controller.end(rb, RunbookStatus.ABORTED, ReasonCode.SWITCHOVER_ABORTED, "new primary " + target + " failed before confirming", now);
        }
        return Decision.idle(ReasonCode.WAITING, "switchover #" + rb.id() + " of " + r.name() + ": waiting for " + target + " to serve at epoch " + r.epoch());
    }

    private static long stepVersion(Runbook rb, String step) {
        return rb.steps().stream().filter(s -> s.step().equals(step)).mapToLong(RunbookStep::version).findFirst().orElse(Long.MAX_VALUE);
    }

    private static long stepAt(Runbook rb, String step) {
        return rb.steps().stream().filter(s -> s.step().equals(step)).mapToLong(RunbookStep::atMs).findFirst().orElse(rb.startedMs());
    }
}
