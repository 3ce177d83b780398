package io.tandem.control;

import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.ReplicationMode;
import io.tandem.model.config.ResourceConfig;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.config.TimingConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import io.tandem.model.state.MemberState;
import io.tandem.model.state.PeerHealth;
import io.tandem.model.state.PeerRecord;
import io.tandem.model.state.ResourceState;
import io.tandem.model.state.Runbook;
import io.tandem.model.state.RunbookStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The decision loop of the Raft leader, as a pure function: {@code decide(state, observations, now)}
 * returns at most one Raft entry and the reason. No I/O, no clock, no sleep: time arrives as arguments.
 */
public final class Controller {
    static final String FAILOVER = "failover";
    static final String STEP_FENCE = "fence-old";
    static final String STEP_SELECT = "select-target";
    /** The failover replaces a primary whose copy failed while its agent runs (recorded before it is fenced through the agent). */
    static final String STEP_COPY_FAILED = "copy-failed";
    static final String STEP_PROMOTE = "promote";

    private final TandemConfig config;
    private final TimingConfig timing;
    private final String digest;

    public Controller(TandemConfig config) {
        this.config = config;
        this.timing = config.timing();
        this.digest = config.digest();
    }

    public Decision decide(ClusterState state, Observations obs, long nowMs) {
        if (!state.initialized()) {
            return Decision.of(initialize(nowMs), null, ReasonCode.INITIALIZE,
                    "formed cluster '" + config.cluster() + "' with " + config.peers().size() + " peers and " + config.resources().size() + " resources");
        }
        if (!state.configDigest().equals(digest)) {
            return Decision.of(new Command.ConfigChanged(digest, nowMs), null, ReasonCode.CONFIG_CHANGED,
                    "the leader's tandem.yaml (digest " + digest + ") differs from the cluster's (" + state.configDigest()
                            + "); it becomes config version " + (state.configVersion() + 1) + ": give every peer the same file");
        }
        Optional<Decision> d = peerHealth(state, obs, nowMs);
        if (d.isPresent()) return d.get();
        Decision waiting = null;
        for (ResourceConfig rc : config.resources()) {
            ResourceState r = state.resource(rc.name()).orElse(null);
            if (r == null) continue;
            d = resource(state, rc, r, obs, nowMs);
            if (d.isPresent() && d.get().command().isPresent()) return d.get();
            if (d.isPresent() && waiting == null) waiting = d.get();
        }
        return waiting != null ? waiting : Decision.idle(ReasonCode.STEADY, "no change needed");
    }

    private Command initialize(long now) {
        List<PeerRecord> peers = config.peers().stream()
                .map(p -> new PeerRecord(p.name(), p.isWitness(), PeerHealth.UNKNOWN, now, "declared in config")).toList();
        List<ResourceState> resources = config.resources().stream()
                .map(r -> new ResourceState(r.name(), "", 0, List.of(), r.sites())).toList();
        return new Command.Initialize(config.cluster(), digest, peers, resources, now);
    }

    private Optional<Decision> peerHealth(ClusterState state, Observations obs, long now) {
        long failMs = timing.failAfter().toMillis();
        for (PeerRecord p : state.peers().values()) {
            Observation o = obs.of(p.name());
            long ago = o.heardAgoMs();
            boolean alive = o.heard() && ago < failMs;
            Transition t = switch (p.health()) {
                case UNKNOWN -> alive ? Fsm.PEER_JOINED : ago >= failMs ? Fsm.PEER_NEVER_SEEN : null;
                case HEALTHY -> ago >= failMs ? Fsm.PEER_FAILED : null;
                case FAILED -> alive ? Fsm.PEER_RETURNED : null;
            };
            if (t == null) continue;
            PeerHealth to = (PeerHealth) t.to();
            String why = to == PeerHealth.FAILED ? "no heartbeat for " + ago + "ms (fail_after " + failMs + "ms)" : "heartbeat " + ago + "ms ago";
            return Optional.of(Decision.of(new Command.SetPeerHealth(p.name(), to, why, now), t, t.reason(),
                    (to == PeerHealth.FAILED ? "declared " : "welcomed ") + p.name() + " " + to.name().toLowerCase() + ": " + why));
        }
        return Optional.empty();
    }

    private Optional<Decision> resource(ClusterState state, ResourceConfig rc, ResourceState r, Observations obs, long now) {
        Optional<Runbook> active = state.activeRunbook(r.name());
        if (active.isPresent() && active.get().kind().equals(ClusterState.SWITCHOVER)) {
            if (state.health(r.primary()) == PeerHealth.FAILED && r.primary().equals(active.get().fromSite())) {
                return Optional.of(end(active.get(), RunbookStatus.ABORTED, ReasonCode.SWITCHOVER_ABORTED,
                        "the primary " + r.primary() + " failed during the switchover; a failover follows", now));
            }
            return Optional.of(new SwitchoverRunbook(config, state, rc, r, obs, now).next(active.get()));
        }
        if (active.isPresent()) {
            return Optional.of(new FailoverRunbook(this, state, rc, r, obs, now).next(active.get()));
        }
        if (!r.hasPrimary()) {
            return bootstrap(state, rc, r, obs, now);
        }
        if (state.health(r.primary()) == PeerHealth.FAILED) {
            long id = state.nextRunbookId();
            return Optional.of(Decision.of(new Command.StartRunbook(id, FAILOVER, r.name(), r.primary(), now), null, ReasonCode.FAILOVER_STARTED,
                    "started failover #" + id + " of " + r.name() + ": primary " + r.primary() + " failed at epoch " + r.epoch()));
        }
        Optional<String> copyFailed = primaryCopyFailed(r, obs);
        if (copyFailed.isPresent() && !candidates(state, rc, r, obs).isEmpty()) {
            long id = state.nextRunbookId();
            return Optional.of(Decision.of(new Command.StartRunbook(id, FAILOVER, r.name(), r.primary(), now), null, ReasonCode.FAILOVER_STARTED,
                    "started failover #" + id + " of " + r.name() + ": " + copyFailed.get()));
        }
        Optional<Decision> leaving = leaving(state, r, obs, now);
        if (leaving.isPresent()) return leaving;
        for (String site : r.members()) {
            if (state.memberState(r.name(), site) == MemberState.CATCHING_UP && streamsNow(r, site, obs)
                    && (rc.mode() == ReplicationMode.SYNC ? primaryWaitsFor(r, site, obs) : caughtUp(r, site, obs))) {
                return Optional.of(Decision.of(new Command.AddInSync(r.name(), site, r.epoch(), now), Fsm.CAUGHT_UP, ReasonCode.CAUGHT_UP,
                        site + " caught up with " + r.primary() + " on " + r.name() + " at epoch " + r.epoch() + "; added to the in-sync set"));
            }
        }
        return failback(state, rc, r, now);
    }

    /**
     * failback: auto moves the primary back to the highest-priority eligible site once it is an in-sync standby
     * and nothing has changed for timing.failback_after: a planned switchover, so no committed write is lost.
     */
    private Optional<Decision> failback(ClusterState state, ResourceConfig rc, ResourceState r, long now) {
        if (rc.failback() != io.tandem.model.config.Failback.AUTO) return Optional.empty();
        Optional<PeerConfig> preferred = r.members().stream().map(s -> config.peer(s).orElseThrow()).filter(PeerConfig::primaryEligible)
                .max(Comparator.comparingInt(PeerConfig::priority).thenComparing(PeerConfig::name, Comparator.reverseOrder()));
        if (preferred.isEmpty() || preferred.get().name().equals(r.primary())
                || preferred.get().priority() <= config.peer(r.primary()).map(PeerConfig::priority).orElse(0)) {
            return Optional.empty();
        }
        String site = preferred.get().name();
        boolean ready = state.memberState(r.name(), site) == MemberState.SYNC_STANDBY || rc.mode() == ReplicationMode.ASYNC
                && state.memberState(r.name(), site) == MemberState.CATCHING_UP;
        long lastChange = state.runbooks().stream().filter(rb -> rb.resource().equals(r.name())).mapToLong(Runbook::endedMs).max().orElse(0);
        if (!ready || now - lastChange < timing.failbackAfter().toMillis()) return Optional.empty();
        return Optional.of(Decision.of(new Command.RequestSwitchover(r.name(), site, "failback", now), null, ReasonCode.FAILBACK,
                "failback of " + r.name() + " to " + site + " (priority " + preferred.get().priority() + "), in sync for "
                        + (now - lastChange) / 1000 + " s since the last change"));
    }

    private Optional<Decision> bootstrap(ClusterState state, ResourceConfig rc, ResourceState r, Observations obs, long now) {
        // Heard by this leader, not merely HEALTHY in the state: a new leader inherits health from its predecessor,
        // and the first primary must be a site that is alive now (sync mode cannot fail over from a lone primary).
        boolean allHeard = r.members().stream().allMatch(s -> obs.of(s).heard());
        if (!allHeard && obs.leaderForMs() < timing.failAfter().toMillis()) {
            return Optional.of(Decision.idle(ReasonCode.WAITING, "waiting for every site of " + r.name() + " before choosing its first primary"));
        }
        Optional<PeerConfig> best = r.members().stream()
                .filter(s -> state.memberState(r.name(), s) == MemberState.CATCHING_UP)
                .filter(s -> obs.of(s).heard() && obs.of(s).heardAgoMs() < timing.failAfter().toMillis())
                .map(s -> config.peer(s).orElseThrow())
                .filter(PeerConfig::primaryEligible)
                .max(Comparator.comparingInt(PeerConfig::priority).thenComparing(PeerConfig::name, Comparator.reverseOrder()));
        if (best.isEmpty()) {
            return Optional.of(Decision.idle(ReasonCode.WAITING, "no healthy eligible site for the first primary of " + r.name()));
        }
        String site = best.get().name();
        return Optional.of(Decision.of(new Command.Promote(r.name(), site, 1, 0, now), Fsm.BOOTSTRAP, ReasonCode.BOOTSTRAP_PRIMARY,
                "chose " + site + " as the first primary of " + r.name() + " (priority " + best.get().priority() + ", epoch 1)"));
    }

    /** How long a primary's copy may not work, its agent up, before an in-sync standby replaces it: timing.copy_fail_after. */
    long copyFailAfterMs() {
        return timing.copyFailAfter().toMillis();
    }

    /**
     * Why the primary's copy counts as failed while its agent runs: the agent, heard within fail_after, reports it as
     * primary at this epoch, not working (down and not restartable, or not answering) for {@link #copyFailAfterMs()}.
     * Long enough for the agent to restart a crashed server in place (about 2 s), which needs no failover.
     */
    Optional<String> primaryCopyFailed(ResourceState r, Observations obs) {
        Observation o = obs.of(r.primary());
        ResourceReport rep = o.report().resources().get(r.name());
        if (!o.heard() || o.heardAgoMs() >= timing.failAfter().toMillis() || rep == null || rep.role() != LocalRole.PRIMARY
                || rep.epoch() != r.epoch() || rep.notStreamingMs() < copyFailAfterMs()) {
            return Optional.empty();
        }
        return Optional.of(r.primary() + "'s copy of " + r.name() + " has not worked as primary for " + rep.notStreamingMs()
                + " ms (limit timing.copy_fail_after = " + copyFailAfterMs() + " ms) while its agent is up");
    }

    /**
     * An in-sync standby whose agent is up but whose copy has not streamed for fail_after, while its primary works,
     * leaves the in-sync set in two committed steps, so that its primary's writes stop waiting for it without it ever
     * losing a failover it should win: first it is marked leaving (the primary is told to stop waiting; the standby,
     * still in the set, has every acknowledged write and stays a candidate), then, once the primary reports it no longer
     * waits for it, it is removed (the primary lets go only after learning of the removal). A leaving standby that
     * streams again and is waited for again simply stays.
     */
    private Optional<Decision> leaving(ClusterState state, ResourceState r, Observations obs, long now) {
        if (!primaryServes(r, obs)) return Optional.empty();
        ResourceReport prim = obs.of(r.primary()).report().resources().get(r.name());
        for (String site : r.leaving()) {
            if (!prim.syncStandbys().contains(site)) {
                String why = r.primary() + " no longer waits for " + site + "'s copy of " + r.name();
                return Optional.of(Decision.of(new Command.RemoveInSync(r.name(), site, r.epoch(), why, now), Fsm.STOPPED_STREAMING,
                        ReasonCode.STANDBY_NOT_STREAMING, "removed " + site + " from the in-sync set of " + r.name() + ": " + why
                                + "; it re-enters once caught up"));
            }
            if (streamsNow(r, site, obs)) {
                return Optional.of(Decision.of(new Command.AddInSync(r.name(), site, r.epoch(), now), null, ReasonCode.CAUGHT_UP,
                        site + " streams again from " + r.primary() + " on " + r.name() + ", which still waits for it: it stays in the in-sync set"));
            }
        }
        for (String site : r.required()) {
            ResourceReport rep = site.equals(r.primary()) ? null : obs.of(site).report().resources().get(r.name());
            if (rep != null && rep.role() == LocalRole.STANDBY && rep.epoch() == r.epoch() && state.memberState(r.name(), site) == MemberState.SYNC_STANDBY
                    && rep.notStreamingMs() >= timing.failAfter().toMillis()) {
                String why = site + "'s copy of " + r.name() + " has not streamed from " + r.primary() + " for " + rep.notStreamingMs()
                        + " ms (fail_after " + timing.failAfter().toMillis() + " ms) while its agent is up";
                return Optional.of(Decision.of(new Command.LeaveInSync(r.name(), site, r.epoch(), why, now), null,
                        ReasonCode.STANDBY_NOT_STREAMING, site + " leaves the in-sync set of " + r.name() + ": " + why
                                + "; " + r.primary() + " is told to stop waiting for it"));
            }
        }
        return Optional.empty();
    }

    /**
     * The primary's agent was heard within half of fail_after and reports its copy serving as primary at this epoch, and
     * answering its probes within half of fail_after (a hung primary stops its standbys too). A
     * standby stops streaming also when the whole primary site is lost; its silence must then lead to a failover to it,
     * not to its removal from the in-sync set (which would block that failover). The primary's silence reaches fail_after
     * together with the standby's, so only a primary heard well within it makes a stalled standby the one to blame.
     */
    private boolean primaryServes(ResourceState r, Observations obs) {
        Observation o = obs.of(r.primary());
        ResourceReport rep = o.report().resources().get(r.name());
        long half = timing.failAfter().toMillis() / 2;
        return o.heard() && o.heardAgoMs() < half && rep != null && rep.role() == LocalRole.PRIMARY && rep.epoch() == r.epoch()
                && rep.ready() && rep.notStreamingMs() < half;
    }

    /**
     * The standby's own report says it streamed within the last two heartbeats. A primary may still report waiting for a
     * site just taken out of the in-sync set (it lets go only after a quorum heard it no longer does): without this, a
     * stalled standby would be put back at once, and taken out again, for as long as it stalls.
     */
    private boolean streamsNow(ResourceState r, String site, Observations obs) {
        ResourceReport mine = obs.of(site).report().resources().get(r.name());
        return mine != null && mine.notStreamingMs() <= 2 * timing.heartbeat().toMillis();
    }

    /** A standby is caught up when it follows the current epoch and has the primary's last reported position. */
    static boolean caughtUp(ResourceState r, String site, Observations obs) {
        ResourceReport mine = obs.of(site).report().resources().get(r.name());
        ResourceReport prim = obs.of(r.primary()).report().resources().get(r.name());
        return mine != null && prim != null && mine.role() == LocalRole.STANDBY && mine.epoch() == r.epoch()
                && prim.role() == LocalRole.PRIMARY && prim.epoch() == r.epoch() && mine.lsn() >= prim.lsn();
    }

    /**
     * Sync mode: the standby follows the current epoch and the primary reports that it has caught up and is already
     * waited for. Waiting must come first, or the primary would acknowledge writes without the site until it learns
     * of the entry, and a failover to the site could lose them. The primary's own view also replaces comparing two
     * reports taken at different instants, which under steady writes can keep a standby out for good.
     */
    static boolean primaryWaitsFor(ResourceState r, String site, Observations obs) {
        ResourceReport mine = obs.of(site).report().resources().get(r.name());
        ResourceReport prim = obs.of(r.primary()).report().resources().get(r.name());
        return mine != null && prim != null && mine.role() == LocalRole.STANDBY && mine.epoch() == r.epoch()
                && prim.role() == LocalRole.PRIMARY && prim.epoch() == r.epoch() && prim.syncStandbys().contains(site);
    }

    /** Promotion candidates, best first: healthy, eligible, in sync (sync mode) or within max lag (async). */
    List<String> candidates(ClusterState state, ResourceConfig rc, ResourceState r, Observations obs) {
        long primaryLsn = Optional.ofNullable(obs.of(r.primary()).report().resources().get(r.name())).map(ResourceReport::lsn).orElse(0L);
        List<String> out = new ArrayList<>();
        for (String site : r.members()) {
            if (site.equals(r.primary()) || state.health(site) != PeerHealth.HEALTHY) continue;
            if (!config.peer(site).map(PeerConfig::primaryEligible).orElse(false)) continue;
            MemberState ms = state.memberState(r.name(), site);
            if (rc.mode() == ReplicationMode.SYNC && ms != MemberState.SYNC_STANDBY) continue;
            if (rc.mode() == ReplicationMode.ASYNC) {
                long lsn = Optional.ofNullable(obs.of(site).report().resources().get(r.name())).map(ResourceReport::lsn).orElse(-1L);
                if (lsn < 0 || primaryLsn - lsn > rc.maxLagOnFailover().bytes()) continue;
            }
            out.add(site);
        }
        out.sort(Comparator.<String>comparingLong(s -> -Optional.ofNullable(obs.of(s).report().resources().get(r.name())).map(ResourceReport::lsn).orElse(0L))
                .thenComparingInt(s -> -config.peer(s).map(PeerConfig::priority).orElse(0))
                .thenComparing(s -> s));
        return out;
    }

    /** Why no site is a promotion candidate, one clause per site, for status and the log. */
    String whyNoCandidate(ClusterState state, ResourceConfig rc, ResourceState r, Observations obs) {
        long primaryLsn = Optional.ofNullable(obs.of(r.primary()).report().resources().get(r.name())).map(ResourceReport::lsn).orElse(0L);
        List<String> why = new ArrayList<>();
        for (String site : r.members()) {
            if (site.equals(r.primary())) continue;
            if (state.health(site) != PeerHealth.HEALTHY) {
                why.add(site + " is " + state.health(site).name().toLowerCase());
            } else if (!eligible(site)) {
                why.add(site + " is not primary-eligible");
            } else if (rc.mode() == ReplicationMode.SYNC && state.memberState(r.name(), site) != MemberState.SYNC_STANDBY) {
                why.add(site + " is not in the in-sync set " + r.inSync() + " (it may lack acknowledged commits)");
            } else if (rc.mode() == ReplicationMode.ASYNC) {
                long lsn = Optional.ofNullable(obs.of(site).report().resources().get(r.name())).map(ResourceReport::lsn).orElse(-1L);
                why.add(lsn < 0 ? site + " has not reported its position"
                        : site + " lags " + human(primaryLsn - lsn) + " (" + (primaryLsn - lsn) + " bytes) behind the old primary's last reported"
                                + " position, more than max_lag_on_failover " + rc.maxLagOnFailover());
            }
        }
        return why.isEmpty() ? "no other site hosts " + r.name() : String.join("; ", why);
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1L << 20) return String.format(java.util.Locale.ROOT, "%.1f kB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / (double) (1L << 20));
        return String.format(java.util.Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30));
    }

    boolean eligible(String site) {
        return config.peer(site).map(PeerConfig::primaryEligible).orElse(false);
    }

    TimingConfig timing() {
        return timing;
    }

    static Decision end(Runbook rb, RunbookStatus status, ReasonCode code, String outcome, long now) {
        return Decision.of(new Command.EndRunbook(rb.id(), status, outcome, now), null, code,
                rb.kind() + " #" + rb.id() + " of " + rb.resource() + " " + status.name().toLowerCase() + ": " + outcome);
    }
}
