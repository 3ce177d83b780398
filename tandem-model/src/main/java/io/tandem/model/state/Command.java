package io.tandem.model.state;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * An entry of the Raft log: the only way the cluster state changes. Each carries the leader's wall-clock
 * time {@code atMs} so that applying it is deterministic on every peer.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Command.Initialize.class, name = "initialize"),
        @JsonSubTypes.Type(value = Command.ConfigChanged.class, name = "config-changed"),
        @JsonSubTypes.Type(value = Command.SetPeerHealth.class, name = "set-peer-health"),
        @JsonSubTypes.Type(value = Command.AddInSync.class, name = "add-in-sync"),
        @JsonSubTypes.Type(value = Command.LeaveInSync.class, name = "leave-in-sync"),
        @JsonSubTypes.Type(value = Command.RemoveInSync.class, name = "remove-in-sync"),
        @JsonSubTypes.Type(value = Command.StartRunbook.class, name = "start-runbook"),
        @JsonSubTypes.Type(value = Command.RequestSwitchover.class, name = "request-switchover"),
        @JsonSubTypes.Type(value = Command.ForceFailover.class, name = "force-failover"),
        @JsonSubTypes.Type(value = Command.RecordStep.class, name = "record-step"),
        @JsonSubTypes.Type(value = Command.Promote.class, name = "promote"),
        @JsonSubTypes.Type(value = Command.EndRunbook.class, name = "end-runbook"),
        @JsonSubTypes.Type(value = Command.Audit.class, name = "audit"),
})
public sealed interface Command {
    long atMs();

    /** Forms the cluster state from the configuration; ignored once the state exists. */
    record Initialize(String cluster, String configDigest, List<PeerRecord> peers, List<ResourceState> resources, long atMs) implements Command {}

    /** The leader runs with a tandem.yaml whose digest differs from the cluster's: its config becomes the next version. */
    record ConfigChanged(String configDigest, long atMs) implements Command {}

    /** A peer declared healthy or failed by the leader. Failing a peer also drops it from every in-sync set where it is not primary. */
    record SetPeerHealth(String peer, PeerHealth health, String reason, long atMs) implements Command {}

    /** A standby caught up with the primary at the given epoch and joins the in-sync set (or stops leaving it). */
    record AddInSync(String resource, String site, long epoch, long atMs) implements Command {}

    /**
     * A standby whose site is healthy but whose copy stopped replicating (its server down or not streaming) starts
     * leaving the in-sync set at the given epoch: the primary is asked to stop waiting for it, and it stays a failover
     * candidate until {@link RemoveInSync}.
     */
    record LeaveInSync(String resource, String site, long epoch, String reason, long atMs) implements Command {}

    /**
     * A leaving standby is out of the in-sync set: its primary reported it no longer waits for it (it lets it go only
     * once it learns of this entry). It re-enters only once caught up.
     */
    record RemoveInSync(String resource, String site, long epoch, String reason, long atMs) implements Command {}

    record StartRunbook(long id, String kind, String resource, String fromSite, long atMs) implements Command {}

    /**
     * An operator asks to move the primary of {@code resource} to {@code target}: opens a switchover runbook
     * (unless one is running) and audits the request. The controller carries it out step by step.
     */
    record RequestSwitchover(String resource, String target, String who, long atMs) implements Command {}

    /**
     * An operator forces the failover of a resource whose primary the quorum declared failed, to {@code target},
     * even when no site is in sync if {@code acceptDataLoss}: joins the running failover runbook (or opens one).
     */
    record ForceFailover(String resource, String target, boolean acceptDataLoss, String who, long atMs) implements Command {}

    record RecordStep(long runbookId, String step, String site, String outcome, long atMs) implements Command {}

    /** Makes {@code site} the primary at {@code epoch}; applied only if the resource is still at {@code epoch - 1}. */
    record Promote(String resource, String site, long epoch, long runbookId, long atMs) implements Command {}

    record EndRunbook(long runbookId, RunbookStatus status, String outcome, long atMs) implements Command {}

    record Audit(String who, String action, String detail, long atMs) implements Command {}
}
