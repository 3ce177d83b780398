package io.tandem.gateway;

import io.tandem.model.config.ServiceConfig;
import io.tandem.model.config.ServiceMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where each service's traffic goes, computed from the config and a {@link ClusterSnapshot}; immutable
 * and replaced as a whole when the cluster state changes. Active-passive: the instances at the primary site
 * of the service's resource (newest epoch); active-active: the instances at every serving site, each listed
 * {@code weight} times so round robin honours the weights.
 */
final class RoutingTable {

    /** A service's current targets; {@code reason} says why there are none when the list is empty. */
    record Target(ServiceConfig service, List<Upstream> upstreams, String site, long epoch, String reason, AtomicInteger next) {
        boolean routable() {
            return !upstreams.isEmpty();
        }
    }

    final ClusterSnapshot snapshot;
    final Map<String, Target> targets;

    private RoutingTable(ClusterSnapshot snapshot, Map<String, Target> targets) {
        this.snapshot = snapshot;
        this.targets = targets;
    }

    static RoutingTable build(List<ServiceConfig> services, Map<String, List<Upstream>> upstreams, ClusterSnapshot snapshot) {
        return build(services, upstreams, snapshot, new java.util.HashMap<>());
    }

    /**
     * As above, each service's round robin going on from its counter in {@code rounds} (added when missing): a table
     * rebuilt for every new cluster state must not start over at the first instance, or while the state changes often
     * (a cluster forming) every request went to that one (CI, GatewayRoleTest: 4 of 4 to kyiv).
     */
    static RoutingTable build(List<ServiceConfig> services, Map<String, List<Upstream>> upstreams, ClusterSnapshot snapshot,
                              Map<String, AtomicInteger> rounds) {
        Map<String, Target> targets = new LinkedHashMap<>();
        for (ServiceConfig s : services) {
            List<Upstream> all = upstreams.getOrDefault(s.name(), List.of());
            AtomicInteger next = rounds.computeIfAbsent(s.name(), k -> new AtomicInteger());
            targets.put(s.name(), s.mode() == ServiceMode.ACTIVE_PASSIVE ? activePassive(s, all, snapshot, next) : activeActive(s, all, snapshot, next));
        }
        return new RoutingTable(snapshot, targets);
    }

    private static Target activePassive(ServiceConfig s, List<Upstream> all, ClusterSnapshot snapshot, AtomicInteger next) {
        var primary = snapshot.primary(s.resource());
        if (primary.isEmpty()) {
            return new Target(s, List.of(), "", 0, "no primary of resource '" + s.resource() + "' is known yet", next);
        }
        String site = primary.get().site();
        List<Upstream> at = all.stream().filter(u -> u.site.equals(site)).toList();
        String reason = at.isEmpty() ? "the primary site '" + site + "' has no instance of this service" : "";
        return new Target(s, at, site, primary.get().epoch(), reason, next);
    }

    private static Target activeActive(ServiceConfig s, List<Upstream> all, ClusterSnapshot snapshot, AtomicInteger next) {
        List<Upstream> serving = all.stream().filter(u -> snapshot.serving(u.site)).toList();
        int maxWeight = serving.stream().mapToInt(u -> u.weight).max().orElse(0);
        // Round by round, so that weights 3:1 give a b a a rather than a burst of one instance.
        List<Upstream> weighted = new ArrayList<>();
        for (int round = 0; round < maxWeight; round++) {
            for (Upstream u : serving) {
                if (u.weight > round) weighted.add(u);
            }
        }
        return new Target(s, List.copyOf(weighted), "", 0, weighted.isEmpty() ? "no site that serves is healthy" : "", next);
    }

    Target target(String service) {
        return targets.get(service);
    }

    /**
     * The next instance of the service by round robin, skipping ejected instances and {@code avoid}
     * (an instance that just failed) while others exist; never one that its health checks took down.
     * Null when the service has no target or every target is down ({@link #unavailable} says why).
     */
    static Upstream pick(Target t, Upstream avoid) {
        List<Upstream> list = t.upstreams();
        int n = list.size();
        if (n == 0) return null;
        int start = n == 1 ? 0 : Math.floorMod(t.next().getAndIncrement(), n);
        Upstream fallback = null;
        for (int i = 0; i < n; i++) {
            Upstream u = list.get((start + i) % n);
            if (u.down()) continue;
            if (u == avoid) {
                continue;
            }
            if (!u.ejected()) return u;
            if (fallback == null) fallback = u;
        }
        if (fallback != null) return fallback;
        Upstream first = list.get(start);
        return first.down() ? (avoid != null && !avoid.down() ? avoid : null) : first;
    }

    /** The target instance a sticky cookie names, if it serves now (not down, not ejected); else null. */
    static Upstream sticky(Target t, String id) {
        if (id == null) return null;
        for (Upstream u : t.upstreams()) {
            if (u.stickyId.equals(id)) return u.down() || u.ejected() ? null : u;
        }
        return null;
    }

    /** Why {@link #pick} found nothing. */
    static String unavailable(Target t) {
        if (!t.reason().isEmpty()) return t.reason();
        return "every instance (" + String.join(", ", t.upstreams().stream().distinct().map(Upstream::label).toList()) + ") failed its health checks";
    }
}
