package io.tandem.model.state;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The replicated cluster state held by the Raft state machine. Immutable: {@link #apply} returns the
 * next state. Applying the same log gives the same state on every peer.
 */
public record ClusterState(String cluster, long version, long configVersion, String configDigest, Map<String, PeerRecord> peers,
                           Map<String, ResourceState> resources, List<Runbook> runbooks, List<AuditEntry> audit) {
    /** Ended runbooks and audit entries kept in the state; older ones are dropped (they stay in logs and exports). */
    public static final int KEEP_RUNBOOKS = 50;
    public static final int KEEP_AUDIT = 500;

    public ClusterState {
        configDigest = configDigest == null ? "" : configDigest;
        peers = Collections.unmodifiableMap(new TreeMap<>(peers));
        resources = Collections.unmodifiableMap(new TreeMap<>(resources));
        runbooks = List.copyOf(runbooks);
        audit = List.copyOf(audit);
    }

    public static ClusterState empty() {
        return new ClusterState("", 0, 0, "", Map.of(), Map.of(), List.of(), List.of());
    }

    public boolean initialized() {
        return version > 0;
    }

    public PeerHealth health(String peer) {
        PeerRecord p = peers.get(peer);
        return p == null ? PeerHealth.UNKNOWN : p.health();
    }

    public Optional<ResourceState> resource(String name) {
        return Optional.ofNullable(resources.get(name));
    }

    public Optional<Runbook> activeRunbook(String resource) {
        return runbooks.stream().filter(r -> r.running() && r.resource().equals(resource)).findFirst();
    }

    /**
     * The running failover of {@code resource} away from {@code site} while that site is still its primary: the site's
     * agent, if it hears of it, fences its copy (a copy that failed while its agent runs is replaced this way).
     */
    public Optional<Runbook> failingOverFrom(String resource, String site) {
        ResourceState r = resources.get(resource);
        return r == null || !r.primary().equals(site) ? Optional.empty()
                : activeRunbook(resource).filter(rb -> rb.kind().equals("failover") && rb.fromSite().equals(site));
    }

    public long nextRunbookId() {
        return runbooks.stream().mapToLong(Runbook::id).max().orElse(0) + 1;
    }

    /** The site's role for the resource, derived from health, primary and in-sync set. */
    public MemberState memberState(String resource, String site) {
        ResourceState r = resources.get(resource);
        return switch (health(site)) {
            case UNKNOWN -> MemberState.UNKNOWN;
            case FAILED -> MemberState.FAILED;
            case HEALTHY -> {
                if (r != null && r.primary().equals(site)) yield MemberState.PRIMARY;
                if (r != null && r.inSync().contains(site)) yield MemberState.SYNC_STANDBY;
                yield MemberState.CATCHING_UP;
            }
        };
    }

    public ClusterState apply(Command c) {
        return switch (c) {
            case Command.Initialize i -> initialized() ? this : new ClusterState(i.cluster(), 1, 1, i.configDigest(),
                    index(i.peers(), PeerRecord::name), index(i.resources(), ResourceState::name), List.of(), List.of());
            case Command.ConfigChanged cc -> cc.configDigest().equals(configDigest) ? this
                    : new ClusterState(cluster, version + 1, configVersion + 1, cc.configDigest(), peers, resources, runbooks, audit);
            case Command.SetPeerHealth h -> setHealth(h);
            case Command.AddInSync a -> withResource(a.resource(), r -> {
                if (r.epoch() == a.epoch() && r.leaving().contains(a.site())) {
                    return r.withLeaving(r.leaving().stream().filter(s -> !s.equals(a.site())).toList());
                }
                if (r.epoch() != a.epoch() || r.inSync().contains(a.site()) || health(a.site()) != PeerHealth.HEALTHY) {
                    return r;
                }
                List<String> s = new ArrayList<>(r.inSync());
                s.add(a.site());
                Collections.sort(s);
                return r.withInSync(s);
            });
            case Command.LeaveInSync x -> withResource(x.resource(), r -> r.epoch() != x.epoch() || r.primary().equals(x.site())
                    || !r.inSync().contains(x.site()) || r.leaving().contains(x.site()) ? r
                    : r.withLeaving(java.util.stream.Stream.concat(r.leaving().stream(), java.util.stream.Stream.of(x.site())).toList()));
            case Command.RemoveInSync x -> withResource(x.resource(), r -> r.epoch() != x.epoch() || !r.leaving().contains(x.site()) ? r
                    : r.withInSync(r.inSync().stream().filter(s -> !s.equals(x.site())).toList()));
            case Command.StartRunbook s -> activeRunbook(s.resource()).isPresent() ? this : withRunbooks(add(runbooks,
                    new Runbook(s.id(), s.kind(), s.resource(), s.fromSite(), "", RunbookStatus.RUNNING, s.atMs(), 0, List.of())));
            case Command.RequestSwitchover q -> requestSwitchover(q);
            case Command.ForceFailover f -> forceFailover(f);
            case Command.RecordStep s -> mapRunbook(s.runbookId(), rb -> rb.withStep(
                    new RunbookStep(s.step(), s.site(), resources.containsKey(rb.resource()) ? resources.get(rb.resource()).epoch() : 0, s.outcome(), s.atMs(), version + 1),
                    s.step().equals("select-target") ? s.site() : rb.toSite()));
            case Command.Promote p -> promote(p);
            case Command.EndRunbook e -> mapRunbook(e.runbookId(), rb -> rb.ended(e.status(),
                    new RunbookStep("end", rb.toSite(), resources.containsKey(rb.resource()) ? resources.get(rb.resource()).epoch() : 0, e.outcome(), e.atMs(), version + 1)));
            case Command.Audit a -> new ClusterState(cluster, version + 1, configVersion, configDigest, peers, resources, runbooks,
                    tail(add(audit, new AuditEntry(a.atMs(), a.who(), a.action(), a.detail())), KEEP_AUDIT));
        };
    }

    private ClusterState setHealth(Command.SetPeerHealth h) {
        PeerRecord p = peers.get(h.peer());
        if (p == null || p.health() == h.health()) {
            return this;
        }
        Map<String, PeerRecord> ps = new TreeMap<>(peers);
        ps.put(p.name(), p.with(h.health(), h.atMs(), h.reason()));
        Map<String, ResourceState> rs = new TreeMap<>(resources);
        if (h.health() == PeerHealth.FAILED) {
            // Invariant 2: a lost standby leaves the in-sync set in this very entry, before any primary stops waiting for it.
            rs.replaceAll((k, r) -> r.primary().equals(p.name()) ? r
                    : r.withInSync(r.inSync().stream().filter(s -> !s.equals(p.name())).toList()));
        }
        return new ClusterState(cluster, version + 1, configVersion, configDigest, ps, rs, runbooks, audit);
    }

    /** The kind of runbook a planned switchover opens. */
    public static final String SWITCHOVER = "switchover";

    private ClusterState requestSwitchover(Command.RequestSwitchover q) {
        ResourceState r = resources.get(q.resource());
        if (r == null || !r.hasPrimary() || activeRunbook(q.resource()).isPresent()) {
            return this;
        }
        long id = nextRunbookId();
        Runbook rb = new Runbook(id, SWITCHOVER, q.resource(), r.primary(), q.target(), RunbookStatus.RUNNING, q.atMs(), 0,
                List.of(new RunbookStep("requested", q.target(), r.epoch(), "by " + q.who(), q.atMs(), version + 1)));
        ClusterState withRb = withRunbooks(add(runbooks, rb));
        return new ClusterState(cluster, withRb.version + 1, configVersion, configDigest, peers, resources, withRb.runbooks, tail(add(audit,
                new AuditEntry(q.atMs(), q.who(), "switchover", q.resource() + " from " + r.primary() + " to " + q.target() + " (runbook #" + id + ")")), KEEP_AUDIT));
    }

    /** The step a forced failover records; its outcome says whether data loss was accepted. */
    public static final String FORCED = "forced";
    public static final String ACCEPT_DATA_LOSS = "data loss accepted";

    private ClusterState forceFailover(Command.ForceFailover f) {
        ResourceState r = resources.get(f.resource());
        if (r == null || !r.hasPrimary() || health(r.primary()) != PeerHealth.FAILED) {
            return this; // only a primary the quorum declared failed is failed over by force
        }
        Optional<Runbook> active = activeRunbook(f.resource());
        if (active.isPresent() && !active.get().kind().equals("failover")) {
            return this;
        }
        String outcome = "by " + f.who() + " to " + f.target() + (f.acceptDataLoss() ? "; " + ACCEPT_DATA_LOSS : "");
        ClusterState opened = active.isPresent() ? this : withRunbooks(add(runbooks, new Runbook(nextRunbookId(), "failover", f.resource(),
                r.primary(), "", RunbookStatus.RUNNING, f.atMs(), 0, List.of())));
        long id = opened.activeRunbook(f.resource()).orElseThrow().id();
        ClusterState stepped = opened.mapRunbook(id, rb -> rb.withStep(new RunbookStep(FORCED, f.target(), r.epoch(), outcome, f.atMs(), opened.version + 1), f.target()));
        return new ClusterState(cluster, stepped.version + 1, configVersion, configDigest, peers, resources, stepped.runbooks, tail(add(audit,
                new AuditEntry(f.atMs(), f.who(), "failover", f.resource() + " forced to " + f.target() + (f.acceptDataLoss() ? " accepting data loss" : ""))), KEEP_AUDIT));
    }

    /** The switchover runbook of a resource that has told its primary to stop writing, and not yet promoted the target. */
    public Optional<Runbook> stoppingWrites(String resource) {
        return activeRunbook(resource).filter(rb -> rb.kind().equals(SWITCHOVER) && rb.done("stop-writes") && !rb.done("promote"));
    }

    private ClusterState promote(Command.Promote p) {
        ResourceState r = resources.get(p.resource());
        if (r == null || r.epoch() != p.epoch() - 1 || health(p.site()) != PeerHealth.HEALTHY) {
            return this; // stale: another promotion won, or the target failed meanwhile
        }
        List<String> sync = new ArrayList<>(r.inSync().stream()
                .filter(s -> !s.equals(r.primary()) || s.equals(p.site())).toList());
        if (!sync.contains(p.site())) sync.add(p.site());
        Collections.sort(sync);
        ClusterState next = withResource(p.resource(), x -> x.promoted(p.site(), p.epoch(), sync));
        return p.runbookId() == 0 ? next : next.mapRunbook(p.runbookId(), rb -> rb.withStep(
                new RunbookStep("promote", p.site(), p.epoch(), "promoted at epoch " + p.epoch(), p.atMs(), version + 2), p.site()));
    }

    private ClusterState withResource(String name, java.util.function.UnaryOperator<ResourceState> f) {
        ResourceState r = resources.get(name);
        if (r == null) return this;
        ResourceState n = f.apply(r);
        if (n.equals(r)) return this;
        Map<String, ResourceState> rs = new TreeMap<>(resources);
        rs.put(name, n);
        return new ClusterState(cluster, version + 1, configVersion, configDigest, peers, rs, runbooks, audit);
    }

    private ClusterState mapRunbook(long id, java.util.function.UnaryOperator<Runbook> f) {
        List<Runbook> out = new ArrayList<>();
        boolean changed = false;
        for (Runbook rb : runbooks) {
            if (rb.id() == id && rb.running()) {
                out.add(f.apply(rb));
                changed = true;
            } else {
                out.add(rb);
            }
        }
        return changed ? withRunbooks(out) : this;
    }

    private ClusterState withRunbooks(List<Runbook> rbs) {
        // keep every running runbook, and the newest ended ones
        List<Runbook> ended = rbs.stream().filter(r -> !r.running()).toList();
        List<Runbook> keep = new ArrayList<>(rbs.stream().filter(Runbook::running).toList());
        keep.addAll(tail(ended, KEEP_RUNBOOKS));
        keep.sort(java.util.Comparator.comparingLong(Runbook::id));
        return new ClusterState(cluster, version + 1, configVersion, configDigest, peers, resources, keep, audit);
    }

    private static <T> List<T> add(List<T> list, T item) {
        List<T> out = new ArrayList<>(list);
        out.add(item);
        return out;
    }

    private static <T> List<T> tail(List<T> list, int n) {
        return list.size() <= n ? list : list.subList(list.size() - n, list.size());
    }

    private static <T> Map<String, T> index(List<T> items, java.util.function.Function<T, String> key) {
        Map<String, T> m = new TreeMap<>();
        items.forEach(i -> m.put(key.apply(i), i));
        return m;
    }
}
