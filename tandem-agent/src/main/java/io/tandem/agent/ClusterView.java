package io.tandem.agent;

import io.tandem.control.Observation;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.MemberState;
import io.tandem.model.state.PeerRecord;
import io.tandem.model.state.ResourceState;
import io.tandem.model.state.Runbook;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JSON shape of {@code GET /v1/cluster} and {@code tandem status --json}. {@code source} says whether
 * it came from the Raft leader ("leader") or, with no quorum reachable, from this peer's own copy ("local").
 * {@code controller}: the leader controller's latest decision or reason to wait (empty in a local view).
 */
public record ClusterView(String cluster, String leader, String source, String answeredBy, long version,
                          List<Resource> resources, List<Site> sites, List<Runbook> runbooks, DecisionNote controller) {

    /** primaryAddress: where clients reach the primary directly (host:port), "" when none. */
    public record Resource(String name, String primary, long epoch, List<String> inSync, Map<String, MemberState> members, String primaryAddress) {}

    /**
     * lastHeartbeatMs: time since the leader last heard the peer; -1 when unknown (no leader reachable).
     * healthSinceMs: the leader's wall-clock time (epoch ms) of the last change of health.
     */
    public record Site(String name, String role, String health, boolean fenced, long lastHeartbeatMs, long healthSinceMs) {}

    static ClusterView of(String answeredBy, String source, String leader, ClusterState s, Map<String, Observation> obs,
                          String self, boolean selfFenced, java.util.function.BiFunction<String, String, String> address, DecisionNote controller) {
        List<Resource> resources = new ArrayList<>();
        for (ResourceState r : s.resources().values()) {
            Map<String, MemberState> members = new java.util.TreeMap<>();
            r.members().forEach(m -> members.put(m, s.memberState(r.name(), m)));
            resources.add(new Resource(r.name(), r.primary(), r.epoch(), r.inSync(), members,
                    r.hasPrimary() ? address.apply(r.name(), r.primary()) : ""));
        }
        List<Site> sites = new ArrayList<>();
        for (PeerRecord p : s.peers().values()) {
            Observation o = obs.get(p.name());
            boolean fenced = p.name().equals(self) ? selfFenced : o != null && o.heard() && o.report().fenced();
            long age = o == null ? -1 : o.heardAgoMs();
            sites.add(new Site(p.name(), role(s, p), p.health().name().toLowerCase(), fenced, age, p.sinceMs()));
        }
        return new ClusterView(s.cluster(), leader, source, answeredBy, s.version(), resources, sites, s.runbooks(), controller == null ? DecisionNote.NONE : controller);
    }

    private static String role(ClusterState s, PeerRecord p) {
        if (p.witness()) return "witness";
        boolean primary = s.resources().values().stream().anyMatch(r -> r.primary().equals(p.name()) && s.health(p.name()).name().equals("HEALTHY"));
        if (primary) return "primary";
        return s.health(p.name()).name().equals("FAILED") ? "failed" : "standby";
    }
}
