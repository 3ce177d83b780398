package io.tandem.control;

import static io.tandem.model.state.MemberState.CATCHING_UP;
import static io.tandem.model.state.MemberState.FAILED;
import static io.tandem.model.state.MemberState.PRIMARY;
import static io.tandem.model.state.MemberState.SYNC_STANDBY;
import static io.tandem.model.state.MemberState.UNKNOWN;

import io.tandem.model.state.PeerHealth;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The declared transition tables of the control plane: peer health, and each site's role for a resource. */
public final class Fsm {
    private Fsm() {}

    public static final String PEER = "peer";
    public static final String MEMBER = "member";

    public static final Transition PEER_JOINED = new Transition(PEER, PeerHealth.UNKNOWN, PeerHealth.HEALTHY, ReasonCode.PEER_JOINED,
            "first heartbeat reaches the leader");
    public static final Transition PEER_NEVER_SEEN = new Transition(PEER, PeerHealth.UNKNOWN, PeerHealth.FAILED, ReasonCode.PEER_FAILED,
            "no heartbeat for fail_after since the leader took office");
    public static final Transition PEER_FAILED = new Transition(PEER, PeerHealth.HEALTHY, PeerHealth.FAILED, ReasonCode.PEER_FAILED,
            "no heartbeat for fail_after (decided only by a quorum leader)");
    public static final Transition PEER_RETURNED = new Transition(PEER, PeerHealth.FAILED, PeerHealth.HEALTHY, ReasonCode.PEER_RETURNED,
            "heartbeats reach the leader again");

    public static final Transition JOINED = new Transition(MEMBER, UNKNOWN, CATCHING_UP, ReasonCode.PEER_JOINED,
            "the site's peer joined");
    public static final Transition BOOTSTRAP = new Transition(MEMBER, CATCHING_UP, PRIMARY, ReasonCode.BOOTSTRAP_PRIMARY,
            "no primary yet; highest-priority eligible healthy site, once all sites are heard or fail_after has passed");
    public static final Transition CAUGHT_UP = new Transition(MEMBER, CATCHING_UP, SYNC_STANDBY, ReasonCode.CAUGHT_UP,
            "follows the primary at its epoch and has replayed up to the primary's position (sync mode: the primary reports it caught up and already waits for it)");
    public static final Transition STOPPED_STREAMING = new Transition(MEMBER, SYNC_STANDBY, CATCHING_UP, ReasonCode.STANDBY_NOT_STREAMING,
            "the site is healthy but its copy has not streamed for fail_after while the primary works (server down, hung or cut off): marked leaving, it is removed once the primary reports it no longer waits for it");
    public static final Transition FAILOVER = new Transition(MEMBER, SYNC_STANDBY, PRIMARY, ReasonCode.FAILOVER_PROMOTED,
            "the primary's site failed; best eligible healthy in-sync candidate (failover runbook)");
    public static final Transition FAILOVER_ASYNC = new Transition(MEMBER, CATCHING_UP, PRIMARY, ReasonCode.FAILOVER_PROMOTED,
            "async mode only: the primary's site failed and this standby lags at most max_lag_on_failover");
    public static final Transition SWITCHOVER_PROMOTED = new Transition(MEMBER, SYNC_STANDBY, PRIMARY, ReasonCode.SWITCHOVER_PROMOTED,
            "an operator's switchover: the old primary stopped writes and this in-sync standby has all it wrote");
    public static final Transition SWITCHOVER_PROMOTED_ASYNC = new Transition(MEMBER, CATCHING_UP, PRIMARY, ReasonCode.SWITCHOVER_PROMOTED,
            "async mode only: an operator's switchover to a standby that has all the stopped primary wrote");
    public static final Transition SWITCHOVER_DEMOTED = new Transition(MEMBER, PRIMARY, CATCHING_UP, ReasonCode.SWITCHOVER_PROMOTED,
            "an operator's switchover promoted another site; this one follows it and re-enters the in-sync set once caught up");
    public static final Transition COPY_REPLACED = new Transition(MEMBER, PRIMARY, CATCHING_UP, ReasonCode.FAILOVER_PROMOTED,
            "the site is healthy but its copy had not worked as primary for copy_fail_after (PostgreSQL would not start, or hung): its"
                    + " agent fenced it, an in-sync standby was promoted (failover runbook), and it rejoins as a standby");
    public static final Transition PRIMARY_LOST = new Transition(MEMBER, PRIMARY, FAILED, ReasonCode.PEER_FAILED,
            "the site's peer failed; its lease expired so it fenced itself");
    public static final Transition STANDBY_LOST = new Transition(MEMBER, SYNC_STANDBY, FAILED, ReasonCode.PEER_FAILED,
            "the site's peer failed; removed from the in-sync set in the same entry");
    public static final Transition CATCHING_UP_LOST = new Transition(MEMBER, CATCHING_UP, FAILED, ReasonCode.PEER_FAILED,
            "the site's peer failed");
    public static final Transition NEVER_SEEN = new Transition(MEMBER, UNKNOWN, FAILED, ReasonCode.PEER_FAILED,
            "the site's peer never joined within fail_after");
    public static final Transition REJOINED = new Transition(MEMBER, FAILED, CATCHING_UP, ReasonCode.PEER_RETURNED,
            "the site's peer returned; it must catch up before re-entering the in-sync set");
    public static final Transition PRIMARY_RETURNED = new Transition(MEMBER, FAILED, PRIMARY, ReasonCode.PEER_RETURNED,
            "the failed primary's peer returned before any other site was promoted; it keeps its epoch");

    public static final List<Transition> PEER_TABLE = List.of(PEER_JOINED, PEER_NEVER_SEEN, PEER_FAILED, PEER_RETURNED);
    public static final List<Transition> MEMBER_TABLE = List.of(JOINED, BOOTSTRAP, CAUGHT_UP, STOPPED_STREAMING, FAILOVER, FAILOVER_ASYNC,
            SWITCHOVER_PROMOTED, SWITCHOVER_PROMOTED_ASYNC, SWITCHOVER_DEMOTED, COPY_REPLACED,
            PRIMARY_LOST, STANDBY_LOST, CATCHING_UP_LOST, NEVER_SEEN, REJOINED, PRIMARY_RETURNED);

    public static List<Transition> all() {
        List<Transition> all = new ArrayList<>(PEER_TABLE);
        all.addAll(MEMBER_TABLE);
        return all;
    }

    public static Optional<Transition> find(String machine, Enum<?> from, Enum<?> to) {
        return all().stream().filter(t -> t.machine().equals(machine) && t.from() == from && t.to() == to).findFirst();
    }

    public static String mermaid() {
        StringBuilder b = new StringBuilder();
        for (String machine : List.of(PEER, MEMBER)) {
            b.append("%% ").append(machine).append(machine.equals(PEER) ? " health, decided by the Raft leader\n" : " state of a site for one resource\n");
            b.append("stateDiagram-v2\n");
            for (Transition t : machine.equals(PEER) ? PEER_TABLE : MEMBER_TABLE) {
                b.append("    ").append(t.from().name()).append(" --> ").append(t.to().name())
                        .append(" : ").append(t.reason().name()).append('\n');
            }
            b.append('\n');
        }
        return b.toString();
    }

    public static String json() {
        return all().stream().map(t -> "  {\"machine\": \"" + t.machine() + "\", \"from\": \"" + t.from().name() + "\", \"to\": \""
                        + t.to().name() + "\", \"reason\": \"" + t.reason().name() + "\", \"when\": \"" + t.when().replace("\"", "\\\"") + "\"}")
                .collect(Collectors.joining(",\n", "[\n", "\n]\n"));
    }
}
