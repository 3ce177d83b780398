package io.tandem.gateway;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the gateway knows of the cluster state: each resource's primary at the newest epoch seen, and each
 * site's health as last reported by a Raft leader. {@link #merge} never goes back to an older epoch, so a
 * stale answer (from a peer cut off from the quorum) can never move a route to a demoted primary, and a
 * gateway cut off from every agent keeps its last table.
 */
record ClusterSnapshot(Map<String, Primary> primaries, Map<String, SiteState> sites, String leader, long answers, java.util.Set<String> switching) {

    record Primary(String site, long epoch) {}

    record SiteState(String health, boolean fenced) {
        boolean serving() {
            return !fenced && !health.equals("failed");
        }
    }

    /**
     * One answer to GET /v1/cluster. {@code fromLeader}: source was "leader". {@code switching}: resources whose planned
     * switchover has stopped writes at the old primary and not yet ended (the gateway holds their requests).
     */
    record Answer(boolean fromLeader, String leader, List<Resource> resources, Map<String, SiteState> sites, java.util.Set<String> switching,
                  long version) {
        Answer(boolean fromLeader, String leader, List<Resource> resources, Map<String, SiteState> sites) {
            this(fromLeader, leader, resources, sites, java.util.Set.of(), -1);
        }
    }

    record Resource(String name, String primary, long epoch) {}

    static ClusterSnapshot empty() {
        return new ClusterSnapshot(Map.of(), Map.of(), "", 0, java.util.Set.of());
    }

    ClusterSnapshot {
        primaries = Map.copyOf(primaries);
        sites = Map.copyOf(sites);
        switching = java.util.Set.copyOf(switching);
    }

    Optional<Primary> primary(String resource) {
        return Optional.ofNullable(primaries.get(resource));
    }

    /** Site health is taken only from a leader's answer; a site never reported is assumed serving. */
    boolean serving(String site) {
        SiteState s = sites.get(site);
        return s == null || s.serving();
    }

    ClusterSnapshot merge(Answer a) {
        Map<String, Primary> p = new HashMap<>(primaries);
        for (Resource r : a.resources()) {
            Primary known = p.get(r.name());
            if (r.primary().isEmpty()) continue;
            if (known == null || r.epoch() > known.epoch()) {
                p.put(r.name(), new Primary(r.primary(), r.epoch()));
            }
        }
        Map<String, SiteState> s = a.fromLeader() ? a.sites() : sites;
        String l = a.fromLeader() ? a.leader() : leader;
        java.util.Set<String> sw = a.fromLeader() ? a.switching() : switching;
        return new ClusterSnapshot(p, s, l, answers + 1, sw);
    }

    /** Same routing-relevant content (ignores the answer count). */
    boolean sameRouting(ClusterSnapshot o) {
        return primaries.equals(o.primaries) && sites.equals(o.sites) && switching.equals(o.switching);
    }
}
