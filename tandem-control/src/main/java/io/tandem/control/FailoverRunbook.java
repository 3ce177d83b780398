package io.tandem.control;

import io.tandem.model.config.ResourceConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import io.tandem.model.state.MemberState;
import io.tandem.model.state.PeerHealth;
import io.tandem.model.state.ResourceState;
import io.tandem.model.state.Runbook;
import io.tandem.model.state.RunbookStatus;
import java.util.List;

/**
 * The unplanned failover of one resource as recorded steps: fence-old, select-target, promote, then the
 * end once the new primary confirms. Each call yields the next step from what the log already holds, so
 * a leader that takes over half-way continues where the last one stopped.
 */
final class FailoverRunbook {
    private final Controller controller;
    private final ClusterState state;
    private final ResourceConfig rc;
    private final ResourceState r;
    private final Observations obs;
    private final long now;

    FailoverRunbook(Controller controller, ClusterState state, ResourceConfig rc, ResourceState r, Observations obs, long now) {
        this.controller = controller;
        this.state = state;
        this.rc = rc;
        this.r = r;
        this.obs = obs;
        this.now = now;
    }

    Decision next(Runbook rb) {
        String old = rb.fromSite();
        if (!r.primary().equals(old)) {
            return confirm(rb);
        }
        boolean viaAgent = state.health(old) != PeerHealth.FAILED;
        List<String> candidates = controller.candidates(state, rc, r, obs);
        if (viaAgent && !rb.done(Controller.STEP_COPY_FAILED)) {
            // its agent is heard: only a copy that failed is replaced through it; otherwise the site returned in time
            java.util.Optional<String> failed = controller.primaryCopyFailed(r, obs);
            if (failed.isPresent() && !candidates.isEmpty()) {
                return Decision.of(new Command.RecordStep(rb.id(), Controller.STEP_COPY_FAILED, old, failed.get() + "; its agent fences it", now),
                        null, ReasonCode.PRIMARY_COPY_FAILED, "failover #" + rb.id() + " of " + r.name() + ": " + failed.get()
                                + "; " + old + "'s agent is told to fence it");
            }
            return Controller.end(rb, RunbookStatus.ABORTED, ReasonCode.FAILOVER_ABORTED,
                    old + " returned before any promotion; it stays primary at epoch " + r.epoch(), now);
        }
        if (viaAgent && candidates.isEmpty() && !rb.done(Controller.STEP_SELECT)) {
            // nobody can take over after all: the agent takes its copy back rather than leave the resource without one
            return Controller.end(rb, RunbookStatus.ABORTED, ReasonCode.FAILOVER_ABORTED, "no in-sync standby can replace " + old
                    + "'s failed copy now (" + controller.whyNoCandidate(state, rc, r, obs) + "); " + old + " stays primary at epoch " + r.epoch(), now);
        }
        if (viaAgent && !rb.done(Controller.STEP_FENCE)) {
            ResourceReport rep = obs.of(old).report().resources().get(r.name());
            if (rep == null || rep.role() != LocalRole.FENCED || !rep.ready() || obs.of(old).heardAgoMs() >= controller.timing().failAfter().toMillis()) {
                return Decision.idle(ReasonCode.WAITING, "failover #" + rb.id() + " of " + r.name() + ": waiting for " + old
                        + "'s agent to fence its copy (or for its lease to end)");
            }
            String outcome = "fenced through its agent: " + old + " reports its copy of " + r.name() + " fenced";
            return Decision.of(new Command.RecordStep(rb.id(), Controller.STEP_FENCE, old, outcome, now), null,
                    ReasonCode.FAILOVER_FENCED_OLD, "failover #" + rb.id() + " of " + r.name() + ": " + outcome);
        }
        if (!rb.done(Controller.STEP_FENCE)) {
            long failMs = controller.timing().failAfter().toMillis();
            long fenceMs = controller.timing().fenceAfter().toMillis();
            String outcome = "lease of " + old + " expired: no heartbeat at the leader for " + obs.of(old).heardAgoMs()
                    + "ms >= fail_after " + failMs + "ms, so it fenced itself after fence_after " + fenceMs + "ms";
            return Decision.of(new Command.RecordStep(rb.id(), Controller.STEP_FENCE, old, outcome, now), null,
                    ReasonCode.FAILOVER_FENCED_OLD, "failover #" + rb.id() + " of " + r.name() + ": " + outcome);
        }
        java.util.Optional<io.tandem.model.state.RunbookStep> forced = rb.steps().stream()
                .filter(s -> s.step().equals(ClusterState.FORCED)).reduce((a, b) -> b);
        if (forced.isPresent()) {
            // an operator chose the target; out of sync only if they accepted the loss
            String t = forced.get().site();
            boolean ok = state.health(t) == PeerHealth.HEALTHY && controller.eligible(t) && r.members().contains(t)
                    && (candidates.contains(t) || forced.get().outcome().contains(ClusterState.ACCEPT_DATA_LOSS));
            candidates = ok ? List.of(t) : List.of();
        }
        if (!rb.done(Controller.STEP_SELECT) || forced.isPresent() && !rb.toSite().equals(forced.get().site())) {
            if (candidates.isEmpty()) {
                String why = forced.isPresent() ? "the forced target " + forced.get().site() + " cannot take over now"
                        : controller.whyNoCandidate(state, rc, r, obs);
                return Decision.idle(ReasonCode.FAILOVER_BLOCKED, "failover #" + rb.id() + " of " + r.name() + " (" + rc.mode().name().toLowerCase()
                        + " mode) is waiting: " + why + "; it goes on by itself when a site qualifies, or an operator forces one:"
                        + " tandem failover --to SITE --accept-data-loss");
            }
            String target = candidates.get(0);
            ResourceReport rep = obs.of(target).report().resources().get(r.name());
            String outcome = target + " chosen: " + state.memberState(r.name(), target).name().toLowerCase().replace('_', '-')
                    + (rep == null ? "" : " at position " + rep.lsn()) + ", from candidates " + candidates;
            return Decision.of(new Command.RecordStep(rb.id(), Controller.STEP_SELECT, target, outcome, now), null,
                    ReasonCode.FAILOVER_SELECTED, "failover #" + rb.id() + " of " + r.name() + ": " + outcome);
        }
        String target = rb.toSite();
        if (!candidates.contains(target)) {
            return Controller.end(rb, RunbookStatus.ABORTED, ReasonCode.FAILOVER_ABORTED,
                    "target " + target + " is no longer a healthy in-sync candidate; a new failover will choose again", now);
        }
        Transition t = state.memberState(r.name(), target) == MemberState.SYNC_STANDBY ? Fsm.FAILOVER : Fsm.FAILOVER_ASYNC;
        long epoch = r.epoch() + 1;
        return Decision.of(new Command.Promote(r.name(), target, epoch, rb.id(), now), t, ReasonCode.FAILOVER_PROMOTED,
                "promoted " + target + "/" + r.name() + " at epoch " + epoch + ": " + old + (viaAgent ? " fenced through its agent, " : " lease expired, ")
                        + target + " in sync");
    }

    private Decision confirm(Runbook rb) {
        String target = r.primary();
        ResourceReport rep = obs.of(target).report().resources().get(r.name());
        if (rep != null && rep.role() == LocalRole.PRIMARY && rep.epoch() == r.epoch() && rep.ready()) {
            return Controller.end(rb, RunbookStatus.SUCCEEDED, ReasonCode.FAILOVER_CONFIRMED,
                    target + " serves " + r.name() + " as primary at epoch " + r.epoch(), now);
        }
        if (state.health(target) == PeerHealth.FAILED) {
            return Controller.end(rb, RunbookStatus.ABORTED, ReasonCode.FAILOVER_ABORTED,
                    "new primary " + target + " failed before confirming; a new failover follows", now);
        }
        return Decision.idle(ReasonCode.WAITING, "failover #" + rb.id() + " of " + r.name() + ": waiting for " + target
                + " to confirm it serves as primary at epoch " + r.epoch());
    }
}
