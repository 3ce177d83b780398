package io.tandem.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tandem.control.Controller;
import io.tandem.control.Decision;
import io.tandem.control.Lease;
import io.tandem.control.LocalChange;
import io.tandem.control.LocalRole;
import io.tandem.control.ResourceReport;
import io.tandem.control.SiteReport;
import io.tandem.control.SyncStandbys;
import io.tandem.model.state.PeerHealth;
import io.tandem.model.state.ResourceState;
import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.ResourceConfig;
import io.tandem.model.config.TandemConfig;
import io.tandem.model.state.ClusterState;
import io.tandem.model.state.Command;
import java.io.IOException;
import java.net.BindException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ratis.protocol.RaftClientReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One site agent or the witness: a Raft peer that heartbeats the leader, keeps its lease (fencing its
 * writable resources when it loses the quorum), runs the controller while it leads, and serves the API.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    private static final int MAX_STEPS_PER_TICK = 10;
    /** The lease is checked this often, so a fence lands within this much of fence_after. */
    static final long LEASE_TICK_MS = 25;
    /** After a failed heartbeat the next one goes out this soon, re-aimed at the leader then known. */
    static final long RETRY_HEARTBEAT_MS = 50;
    /**
     * A primary heartbeats at least this often. Its lease counts from the sending of its last answered heartbeat, so
     * when the Raft leader (by default the witness) is lost, the time since that sending, the election and the new
     * leader's first answer must together stay under fence_after less 100 ms, or a healthy primary fences for nothing.
     * Measured with SiteFailoverTest's witness kill, 10 runs each (lease_unrenewed_ms of event=quorum-reached):
     * 303-600 ms, mean 457, with heartbeats every 250 ms; 250-501 ms, mean 383, every 100 ms. Earlier sessions saw
     * a slow election take it to ~950 ms about once in eight.
     */
    static final long PRIMARY_HEARTBEAT_MS = 100;
    /** The control loop's tick. */
    static final long FAST_MS = 50;
    /**
     * The leader hands Raft leadership to the preferred witness once it has heard it steadily this long. Ratis' own
     * priority rule did it as soon as the witness' log was up to date: in CI a witness started 10 s after the sites on a
     * busy machine was made leader 1.2 s after its start, its first answers were late, and the primary, cloning to both
     * standbys, fenced itself ("no quorum contact for 901ms").
     */
    static final long HAND_OVER_AFTER_MS = 5000;
    /**
     * A hand-over is an election, so it waits for a calm cluster: every resource has a primary and no member is catching
     * up (cloning or streaming to catch up loads the machine, and a late answer then costs a lease). After this long it
     * goes ahead anyway, so a standby that never catches up does not keep the witness from leading.
     */
    static final long HAND_OVER_ANYWAY_AFTER_MS = 60_000;
    /** A hand-over that failed or did not take is tried again after this long. */
    static final long HAND_OVER_RETRY_MS = 10_000;

    private final TandemConfig config;
    private final PeerConfig me;
    private final HeartbeatBook book;
    private final TandemStateMachine sm;
    private final RaftNode raft;
    private final OperatorApi operator;
    private final Lease lease;
    private final Map<String, ResourceDriver> drivers = new LinkedHashMap<>();
    private final Map<String, SyncStandbys> sync = new LinkedHashMap<>();
    private final java.util.Set<String> gracefullyStopped = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Controller controller;
    private final ScheduledExecutorService leaseLoop;
    private final ScheduledExecutorService controlLoop;
    private final AtomicBoolean heartbeatInFlight = new AtomicBoolean();
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter heartbeatFailures;
    private final List<String> localEvents = new ArrayList<>();
    private ApiServer api;
    /** The gateway role (gateway.in_agents), on this site's address; null otherwise. */
    private io.tandem.gateway.Gateway gateway;
    private volatile boolean quorumReachable;
    private volatile long lastHeartbeatSentMs = Long.MIN_VALUE / 2;
    private volatile boolean lastHeartbeatFailed;
    private final long startedMs = monoMs();
    private volatile boolean warnedNoQuorumAtStart;
    private volatile String lastReason = "";
    /** The preferred witness (witness.preferred_leader), unless that is this peer or there is none. */
    private final Optional<String> handOverTo;
    private final AtomicBoolean handOverInFlight = new AtomicBoolean();
    private volatile long lastHandOverMs = Long.MIN_VALUE / 2;

    private Agent(TandemConfig config, PeerConfig me) throws IOException {
        this.config = config;
        this.me = me;
        // a run of heartbeats breaks after four missed ones
        this.book = new HeartbeatBook(Agent::monoMs, 4 * config.timing().heartbeat().toMillis());
        this.handOverTo = config.peers().stream().filter(PeerConfig::preferredLeader).map(PeerConfig::name).filter(n -> !n.equals(me.name())).findFirst();
        List<String> peerNames = config.peers().stream().map(PeerConfig::name).toList();
        this.sm = new TandemStateMachine(book, peerNames, leader -> LOG.info("event=leader-changed peer={} leader={}", me.name(), leader.isEmpty() ? "none" : leader));
        this.raft = new RaftNode(config, me, sm);
        this.operator = new OperatorApi(config, raft, sm);
        List<String> here = config.resources().stream().filter(r -> r.sites().contains(me.name())).map(ResourceConfig::name).toList();
        boolean recordingOnly = "recording".equals(System.getenv("TANDEM_DRIVERS")) || "recording".equals(System.getProperty("tandem.drivers"));
        for (ResourceConfig rc : config.resources()) {
            if (!rc.sites().contains(me.name())) continue;
            ResourceDriver d = rc.kind() == io.tandem.model.config.ResourceKind.POSTGRES && !recordingOnly
                    ? new PostgresDriver(config, me, rc, this::openClone)
                    : new RecordingDriver(me.name(), rc.name());
            drivers.put(rc.name(), d);
            sync.put(rc.name(), new SyncStandbys());
        }
        this.lease = new Lease(me.name(), config.timing(), here);
        this.controller = new Controller(config);
        this.leaseLoop = Executors.newSingleThreadScheduledExecutor(daemon("tandem-lease-" + me.name()));
        this.controlLoop = Executors.newSingleThreadScheduledExecutor(daemon("tandem-control-" + me.name()));
        this.heartbeatFailures = Counter.builder("tandem_heartbeat_failures").description("heartbeats the quorum leader did not answer").register(metrics);
        Gauge.builder("tandem_fenced", () -> fenced() ? 1 : 0).description("1 when this peer has no quorum lease and refuses writes").register(metrics);
        Gauge.builder("tandem_raft_leader", () -> raft.isLeaderReady() ? 1 : 0).description("1 on the Raft leader").register(metrics);
        Gauge.builder("tandem_state_version", () -> sm.state().version()).description("version of the replicated cluster state").register(metrics);
        for (String r : here) {
            Gauge.builder("tandem_resource_primary", () -> lease.role(r) == LocalRole.PRIMARY ? 1 : 0).tag("resource", r)
                    .description("1 when this site serves the resource as primary").register(metrics);
            Gauge.builder("tandem_resource_epoch", () -> lease.epoch(r)).tag("resource", r).description("epoch this site acts under").register(metrics);
        }
    }

    /** Starts the peer named {@code name} from the config; throws with a clear message when it cannot. */
    public static Agent start(TandemConfig config, String name) throws AgentException {
        PeerConfig me = config.peer(name).orElseThrow(() -> new AgentException("no site or witness named '" + name + "' in " + config.source()
                + "; declared: " + String.join(", ", config.peers().stream().map(PeerConfig::name).toList()), null));
        Agent a;
        try {
            a = new Agent(config, me);
            a.raft.start();
        } catch (IOException | RuntimeException e) {
            throw new AgentException("cannot start the Raft endpoint of " + name + " on " + me.raftAddress() + ": " + rootMessage(e)
                    + " (is another process using the port, or is the address not configured on this host?)", e);
        }
        try {
            a.api = new ApiServer(me.address(), me.apiPort(),
                    Map.of("/v1/local", a::localView, "/v1/audit", a::audit),
                    a.metrics::scrape,
                    Map.of("/v1/notes", new ApiServer.Post(io.tandem.model.config.Role.OPERATOR, a.operator::note),
                            "/v1/switchover", new ApiServer.Post(io.tandem.model.config.Role.OPERATOR, a.operator::switchover),
                            "/v1/failover", new ApiServer.Post(io.tandem.model.config.Role.OPERATOR, a.operator::forceFailover)),
                    new Auth(config.users()), a.cloneStreams(),
                    java.util.Set.copyOf(config.peers().stream().map(PeerConfig::address).toList()),
                    Map.of("/v1/health/primary", a::healthPrimary, "/v1/health/replica", a::healthReplica, "/v1/cluster", a::clusterWatch));
            a.api.start();
        } catch (Exception e) {
            a.closeQuietly();
            String what = rootCause(e) instanceof BindException ? "the port is in use or the address is not on this host" : rootMessage(e);
            throw new AgentException("cannot serve the API of " + name + " on " + me.apiUrl() + ": " + what, e);
        }
        if (config.gateway().inAgents() && config.gateway().enabled() && me.kind() == io.tandem.model.config.PeerKind.SITE) {
            try {
                a.gateway = io.tandem.gateway.Gateway.startOn(config, me.address());
            } catch (RuntimeException e) {
                a.closeQuietly();
                throw new AgentException("cannot run the gateway role of " + name + " (gateway.in_agents): " + rootMessage(e), e);
            }
        }
        long hb = config.timing().heartbeat().toMillis();
        a.leaseLoop.scheduleAtFixedRate(a::leaseTick, 0, LEASE_TICK_MS, TimeUnit.MILLISECONDS);
        a.controlLoop.scheduleWithFixedDelay(a::controlTick, hb, FAST_MS, TimeUnit.MILLISECONDS);
        LOG.info("event=started peer={} kind={} raft={} api={} data={}", name, me.kind().name().toLowerCase(), me.raftAddress(), me.apiUrl(),
                config.dataDir().resolve(name));
        return a;
    }

    static long monoMs() {
        return System.nanoTime() / 1_000_000;
    }

    private void leaseTick() {
        try {
            sendHeartbeat();
            List<LocalChange> changes;
            synchronized (lease) {
                changes = lease.tick(monoMs());
            }
            for (LocalChange c : changes) {
                apply(c);
            }
            if (!gracefullyStopped.isEmpty() && fenced()) {
                // writes were stopped for a switchover, and now the lease is gone too: stop everything
                for (String r : List.copyOf(gracefullyStopped)) {
                    LOG.warn("event=fenced peer={} resource={} reason=\"lease lost while writes were stopped for a switchover\"", me.name(), r);
                    drivers.get(r).fence("lease lost during a switchover");
                    gracefullyStopped.remove(r);
                }
            }
            updateSyncStandbys();
        } catch (RuntimeException e) {
            LOG.error("event=lease-tick-failed peer={} error=\"{}\"", me.name(), e.toString());
        }
    }

    private void sendHeartbeat() {
        long now = monoMs();
        // During a runbook every step waits for a report: heartbeat faster so a switchover pauses writes less.
        long due = lastHeartbeatFailed || runbookActive() || replicationStalling() ? RETRY_HEARTBEAT_MS
                : primaryHere() ? Math.min(PRIMARY_HEARTBEAT_MS, config.timing().heartbeat().toMillis()) : config.timing().heartbeat().toMillis();
        if (now - lastHeartbeatSentMs < due || !heartbeatInFlight.compareAndSet(false, true)) {
            return;
        }
        long sentAt = monoMs();
        lastHeartbeatSentMs = sentAt;
        Query.Heartbeat q;
        synchronized (lease) {
            q = new Query.Heartbeat(me.name(), report());
            sync.values().forEach(s -> s.heartbeatSent(sentAt));
        }
        Thread.ofVirtual().name("tandem-heartbeat-" + me.name()).start(() -> {
            try {
                RaftClientReply reply = raft.heartbeat(q);
                if (!reply.isSuccess()) {
                    throw new IOException(reply.getException() == null ? "not answered" : reply.getException().getMessage());
                }
                ClusterState s = Json.read(reply.getMessage().getContent().toByteArray(), ClusterState.class);
                long unrenewedMs;
                synchronized (lease) {
                    unrenewedMs = lease.lastRenewedFromMs() == Long.MIN_VALUE ? -1 : sentAt - lease.lastRenewedFromMs();
                    lease.renewed(sentAt, s);
                    sync.forEach((r, ss) -> ss.replied(sentAt, s.resource(r).map(ResourceState::inSync).orElse(List.of())));
                }
                lastHeartbeatFailed = false;
                checkConfigDigest(s);
                if (!quorumReachable) {
                    quorumReachable = true;
                    // how long the lease went unrenewed, against the fence_after it must stay under (less 100 ms)
                    LOG.info("event=quorum-reached peer={} leader={} lease_unrenewed_ms={} fence_after_ms={}", me.name(), reply.getServerId(),
                            unrenewedMs, config.timing().fenceAfter().toMillis());
                }
            } catch (IOException | RuntimeException e) {
                heartbeatFailures.increment();
                lastHeartbeatFailed = true;
                warnIfNoQuorumSinceStart(e);
                if (quorumReachable) {
                    quorumReachable = false;
                    LOG.warn("event=quorum-unreachable peer={} error=\"{}\"", me.name(), rootMessage(e));
                }
            } finally {
                heartbeatInFlight.set(false);
            }
        });
    }

    private volatile String clusterDigest = "";

    /** Every peer must run with the same tandem.yaml; say so once per change when this one differs. */
    private void checkConfigDigest(ClusterState s) {
        String d = s.configDigest();
        if (d.isEmpty() || d.equals(clusterDigest)) return;
        clusterDigest = d;
        if (!d.equals(config.digest())) {
            LOG.warn("event=config-mismatch peer={} local_digest={} cluster_digest={} cluster_config_version={} msg=\"this peer's tandem.yaml differs from the one the cluster runs with; give every peer the same file\"",
                    me.name(), config.digest(), d, s.configVersion());
        }
    }

    /** Once, when a peer has never reached a quorum for a while after starting: say whom it waits for. */
    private void warnIfNoQuorumSinceStart(Exception e) {
        if (warnedNoQuorumAtStart || lease.lastRenewedFromMs() != Long.MIN_VALUE
                || monoMs() - startedMs < 2 * config.timing().failAfter().toMillis() + 2000) {
            return;
        }
        warnedNoQuorumAtStart = true;
        String others = String.join(", ", config.peers().stream().filter(p -> !p.name().equals(me.name()))
                .map(p -> p.name() + " at " + p.raftAddress()).toList());
        LOG.warn("event=waiting-for-quorum peer={} msg=\"no quorum since start; a majority of {} peers must run: {}; is each one started and reachable?\" error=\"{}\"",
                me.name(), config.peers().size(), others, rootMessage(e));
    }

    private void apply(LocalChange c) {
        ResourceDriver d = drivers.get(c.resource());
        if (!(c.to() == LocalRole.FENCED && c.graceful())) {
            gracefullyStopped.remove(c.resource());
        }
        String line = c.resource() + " " + c.from() + "->" + c.to() + " epoch=" + c.epoch() + ": " + c.reason();
        synchronized (localEvents) {
            localEvents.add(java.time.Instant.now() + " " + line);
            if (localEvents.size() > 100) localEvents.remove(0);
        }
        switch (c.to()) {
            case FENCED -> {
                if (c.graceful()) {
                    LOG.info("event=writes-stopped peer={} resource={} epoch={} reason=\"{}\"", me.name(), c.resource(), c.epoch(), c.reason());
                    d.stopWrites(c.reason());
                    gracefullyStopped.add(c.resource());
                } else {
                    LOG.warn("event=fenced peer={} resource={} epoch={} reason=\"{}\"", me.name(), c.resource(), c.epoch(), c.reason());
                    d.fence(c.reason());
                }
            }
            case PRIMARY -> {
                LOG.info("event=primary peer={} resource={} epoch={} reason=\"{}\"", me.name(), c.resource(), c.epoch(), c.reason());
                // the epoch's in-sync standbys are waited for from the first write the new primary takes
                Set<String> inSync = new java.util.TreeSet<>(lease.known().resource(c.resource()).map(ResourceState::inSync).orElse(List.of()));
                inSync.remove(me.name());
                d.promote(c.epoch(), inSync, c.reason());
            }
            case STANDBY -> {
                LOG.info("event=standby peer={} resource={} epoch={} reason=\"{}\"", me.name(), c.resource(), c.epoch(), c.reason());
                d.follow(lease.known().resource(c.resource()).map(ResourceState::primary).orElse(""), c.epoch(), c.reason());
            }
        }
    }

    /** Caller holds the lease lock. */
    private SiteReport report() {
        Map<String, ResourceReport> rs = new LinkedHashMap<>();
        drivers.forEach((name, d) -> {
            DriverStatus st = d.status();
            LocalRole role = lease.role(name);
            long epoch = lease.epoch(name);
            boolean ready = st.serving() == role && (role == LocalRole.FENCED || st.epoch() == epoch) && st.action().isEmpty();
            List<String> reported = sync.get(name).reported();
            if (st.tracksReplication()) {
                reported = reported.stream().filter(st.waitingFor()::contains).toList();
            }
            rs.put(name, new ResourceReport(role, epoch, st.position(), reported, ready, st.notStreamingMs()));
        });
        return new SiteReport(me.name(), lease.fenced(monoMs()), rs, lease.known().version());
    }

    /**
     * On a primary in sync mode: whom to wait for before acknowledging a write. Without a replicating driver
     * every healthy standby counts as caught up; real drivers report it from their replication status.
     */
    private void updateSyncStandbys() {
        synchronized (lease) {
            ClusterState known = lease.known();
            for (Map.Entry<String, SyncStandbys> e : sync.entrySet()) {
                String r = e.getKey();
                ResourceState rs = known.resource(r).orElse(null);
                List<String> others = rs == null ? List.of() : rs.members().stream().filter(m -> !m.equals(me.name())).toList();
                // only the primary chooses; a site that is no longer primary keeps waiting for everyone it waited for
                // until its driver has demoted PostgreSQL (a driver ignores the set while not serving as primary)
                if (rs == null || lease.role(r) != LocalRole.PRIMARY) continue;
                DriverStatus st = drivers.get(r).status();
                List<String> caughtUp = st.tracksReplication() ? st.caughtUp()
                        : others.stream().filter(m -> known.health(m) == PeerHealth.HEALTHY).toList();
                e.getValue().update(lease.epoch(r), others, rs.required(), caughtUp);
                drivers.get(r).waitFor(e.getValue().waitFor());
            }
        }
    }

    /**
     * A copy stopped streaming and is about to be taken out of an in-sync set, or this primary is letting such a site go:
     * writes may be stalled meanwhile, so each hop of that handshake goes at the fast heartbeat instead of the normal one.
     */
    private boolean replicationStalling() {
        long failAfter = config.timing().failAfter().toMillis();
        for (ResourceDriver d : drivers.values()) {
            long ms = d.status().notStreamingMs();
            if (ms >= failAfter - config.timing().heartbeat().toMillis() && ms <= failAfter + 1500) return true;
        }
        synchronized (lease) {
            return sync.values().stream().anyMatch(SyncStandbys::releasing);
        }
    }

    /** A failover or switchover is running for some resource, as this peer last learnt from a quorum. */
    /** This site is primary of a resource, so a lapse of its lease stops writes. */
    private boolean primaryHere() {
        synchronized (lease) {
            return drivers.keySet().stream().anyMatch(r -> lease.role(r) == LocalRole.PRIMARY);
        }
    }

    private boolean runbookActive() {
        synchronized (lease) {
            return lease.known().runbooks().stream().anyMatch(io.tandem.model.state.Runbook::running);
        }
    }

    private void controlTick() {
        // Deciding is cheap (a pure function; it appends only when something must change), so the leader decides
        // every FAST_MS: a site is declared failed within FAST_MS of fail_after, not within a heartbeat of it.
        try {
            if (raft.isLeaderReady()) {
                // The leader hears itself without a round trip: it is in the quorum by being its ready leader.
                synchronized (lease) {
                    book.record(me.name(), report());
                }
            }
            for (int i = 0; i < MAX_STEPS_PER_TICK && raft.isLeaderReady(); i++) {
                Decision d = controller.decide(sm.state(), book.observations(config.peers().stream().map(PeerConfig::name).toList()),
                        System.currentTimeMillis());
                String msg = d.reason().toString();
                if (d.command().isPresent() || !msg.equals(lastReason)) {
                    LOG.info("event=decision leader={} code={} msg=\"{}\"", me.name(), d.reason().code(), d.reason().message());
                    lastReason = msg;
                    book.decided(new DecisionNote(d.reason().code().name(), d.reason().message(), System.currentTimeMillis()));
                }
                if (d.command().isEmpty()) {
                    handOverToPreferredLeader();
                    return;
                }
                Command c = d.command().get();
                RaftClientReply r = raft.append(c);
                if (!r.isSuccess()) {
                    LOG.warn("event=append-failed leader={} command={} error=\"{}\"", me.name(), c.getClass().getSimpleName(), r.getException());
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("event=control-tick-failed peer={} error=\"{}\"", me.name(), rootMessage(e));
        }
    }

    /**
     * On the leader, with nothing to change: hands leadership to the preferred witness once this leader has heard it
     * steadily for {@link #HAND_OVER_AFTER_MS}, the cluster is {@link #calm} (or {@link #HAND_OVER_ANYWAY_AFTER_MS} has
     * passed) and no switchover or failover runs (a hand-over blocks writes to the log for a moment). Ratis sends the
     * witness StartLeaderElection when its log is up to date, so it wins at once.
     */
    private void handOverToPreferredLeader() {
        if (handOverTo.isEmpty() || monoMs() - lastHandOverMs < HAND_OVER_RETRY_MS) {
            return;
        }
        String to = handOverTo.get();
        long steadyMs = book.heardSteadilyForMs(to);
        ClusterState state = sm.state();
        if (steadyMs < HAND_OVER_AFTER_MS || (steadyMs < HAND_OVER_ANYWAY_AFTER_MS && !calm(state))
                || state.runbooks().stream().anyMatch(io.tandem.model.state.Runbook::running) || !handOverInFlight.compareAndSet(false, true)) {
            return;
        }
        lastHandOverMs = monoMs();
        // Ratis refuses writes until the transfer ends, and this peer, the old leader, only follows the new one once it
        // has ended: when the witness had won but the transfer ran to its timeout (2 x election_timeout_max before),
        // this peer ignored the witness for ~625 ms (6 of 7 hand-overs in a CI run), so the witness had only the other
        // site for a majority, and that site lost then left no leader for seconds and fenced the primary (CI,
        // ForcedFailoverTest). With election_timeout_min it follows within ~180 ms, below the election timeout after
        // which a leader that hears no majority steps down (15 hand-overs: 48-196 ms, against 62-639 ms before).
        long timeoutMs = config.timing().electionTimeoutMin().toMillis();
        Thread.ofVirtual().name("tandem-hand-over-" + me.name()).start(() -> {
            try {
                LOG.info("event=leadership-hand-over leader={} to={} heard_steadily_ms={}", me.name(), to, steadyMs);
                long t0 = monoMs();
                String error = null;
                try {
                    RaftClientReply r = raft.transferLeadership(to, timeoutMs);
                    if (!r.isSuccess()) error = r.getException() == null ? "not answered" : r.getException().getMessage();
                } catch (IOException | RuntimeException e) {
                    error = rootMessage(e);
                }
                // a transfer that timed out may still have made the witness leader: this peer then learns it at once
                long until = monoMs() + config.timing().electionTimeoutMax().toMillis();
                while (error != null && !to.equals(sm.leader()) && monoMs() < until) Thread.sleep(10);
                if (error == null || to.equals(sm.leader())) {
                    LOG.info("event=leadership-handed-over leader={} to={} ms={}", me.name(), to, monoMs() - t0);
                } else {
                    LOG.warn("event=leadership-hand-over-failed leader={} to={} retry_in_ms={} error=\"{}\"", me.name(), to, HAND_OVER_RETRY_MS, error);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the agent is closing
            } finally {
                handOverInFlight.set(false);
            }
        });
    }

    /** Every resource has a primary and none of its members is catching up (or not heard yet). */
    static boolean calm(ClusterState state) {
        return state.resources().values().stream().allMatch(r -> r.hasPrimary() && r.members().stream().noneMatch(m -> {
            io.tandem.model.state.MemberState ms = state.memberState(r.name(), m);
            return ms == io.tandem.model.state.MemberState.CATCHING_UP || ms == io.tandem.model.state.MemberState.UNKNOWN;
        }));
    }

    /** Whether this peer is the Raft leader, ready to append. */
    boolean leads() {
        return raft.isLeaderReady();
    }

    public boolean fenced() {
        synchronized (lease) {
            return lease.fenced(monoMs());
        }
    }

    public LocalRole role(String resource) {
        synchronized (lease) {
            return lease.role(resource);
        }
    }

    /** Appends an entry directly; for tests that need many entries (the API appends through {@link #mutate}). */
    void appendForTest(Command c) throws IOException {
        RaftClientReply r = raft.append(c);
        if (!r.isSuccess()) throw new IOException("append failed: " + r.getException());
    }

    public ClusterState localState() {
        return sm.state();
    }

    /** At most this many long-polls wait at once; more are answered at once (a proxy's poll loop then paces itself). */
    private static final int MAX_WATCHERS = 64;
    private final java.util.concurrent.atomic.AtomicInteger watchers = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * GET /v1/cluster[?after=V[&wait=MS]]: the cluster view; with {@code after}, first waits (up to {@code wait}, default
     * 1000 ms, at most 30 s) until this peer has applied a state newer than version V, so a gateway learns of a new
     * primary or a switchover's hold as soon as it is committed instead of at its next poll.
     */
    private ApiServer.Reply clusterWatch(Map<String, String> q) {
        if (q.containsKey("after")) {
            long after;
            long waitMs;
            try {
                after = Long.parseLong(q.get("after"));
                waitMs = Long.parseLong(q.getOrDefault("wait", "1000"));
            } catch (NumberFormatException e) {
                return ApiServer.Reply.error(400, "after (a state version) and wait (milliseconds) must be whole numbers");
            }
            if (waitMs < 0 || waitMs > 30_000) {
                return ApiServer.Reply.error(400, "wait must be between 0 and 30000 ms");
            }
            if (watchers.incrementAndGet() <= MAX_WATCHERS) {
                try {
                    sm.awaitNewer(after, waitMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    watchers.decrementAndGet();
                }
            } else {
                watchers.decrementAndGet();
            }
        }
        return ApiServer.Reply.json(200, clusterView());
    }

    /** The leader's view when a quorum answers within a heartbeat or two, else this peer's own copy. */
    public ClusterView clusterView() {
        try {
            RaftClientReply r = raft.status();
            if (r.isSuccess()) {
                LeaderView v = Json.read(r.getMessage().getContent().toByteArray(), LeaderView.class);
                return ClusterView.of(me.name(), "leader", v.leader(), v.state(), v.observations(), me.name(), fenced(), this::address, v.controller());
            }
        } catch (Exception e) {
            LOG.debug("event=status-from-local peer={} error=\"{}\"", me.name(), rootMessage(e));
        }
        return ClusterView.of(me.name(), "local", "", sm.state(), Map.of(), me.name(), fenced(), this::address, DecisionNote.NONE);
    }

    /** host:port of a resource at a site (PostgreSQL listens on the site's address and the resource's port). */
    private String address(String resource, String site) {
        return config.resource(resource).filter(r -> r.kind() == io.tandem.model.config.ResourceKind.POSTGRES)
                .flatMap(r -> config.peer(site).map(p -> p.address() + ":" + r.port())).orElse("");
    }

    /**
     * GET /v1/health/primary[?resource=R]: 200 when this site serves R as its writable primary now (a load
     * balancer's check), else 503. R defaults to the only resource this site holds.
     */
    private ApiServer.Reply healthPrimary(Map<String, String> q) {
        return health(q, (st, role) -> role == LocalRole.PRIMARY && st.serving() == LocalRole.PRIMARY && !fenced(), "primary");
    }

    /** GET /v1/health/replica[?resource=R][&maxLagBytes=N]: 200 when this site serves R as a streaming standby within N bytes. */
    private ApiServer.Reply healthReplica(Map<String, String> q) {
        long max;
        try {
            max = Long.parseLong(q.getOrDefault("maxLagBytes", Long.toString(Long.MAX_VALUE)));
        } catch (NumberFormatException e) {
            return ApiServer.Reply.error(400, "maxLagBytes must be a whole number of bytes");
        }
        return health(q, (st, role) -> role == LocalRole.STANDBY && st.serving() == LocalRole.STANDBY && st.lagBytes() >= 0 && st.lagBytes() <= max,
                "replica within " + (max == Long.MAX_VALUE ? "any lag" : max + " bytes"));
    }

    private ApiServer.Reply health(Map<String, String> q, java.util.function.BiPredicate<DriverStatus, LocalRole> ok, String what) {
        String r = q.getOrDefault("resource", drivers.size() == 1 ? drivers.keySet().iterator().next() : "");
        ResourceDriver d = drivers.get(r);
        if (d == null) {
            return ApiServer.Reply.error(404, "name a resource this site holds with ?resource=: " + drivers.keySet());
        }
        DriverStatus st = d.status();
        LocalRole role = role(r);
        Map<String, Object> body = Map.of("site", me.name(), "resource", r, "role", role.name(), "serving", st.serving().name(),
                "epoch", lease.epoch(r), "lagBytes", st.lagBytes(), "fenced", fenced());
        return ApiServer.Reply.json(ok.test(st, role) ? 200 : 503, body);
    }

    /** GET /v1/internal/postgres/RESOURCE/clone?slot=S on the primary's agent: a base backup for a standby's agent. */
    private Map<String, ApiServer.Stream> cloneStreams() {
        Map<String, ApiServer.Stream> m = new java.util.HashMap<>();
        drivers.forEach((name, d) -> {
            if (d instanceof PostgresDriver pg) {
                m.put("/v1/internal/postgres/" + name + "/clone", (query, header, out) -> {
                    String slot = query.getOrDefault("slot", "");
                    if (!slot.matches("[a-z0-9_]{1,63}")) throw new IOException("bad slot name '" + slot + "'");
                    java.nio.file.Path pw = config.postgres().passwordFile();
                    if (pw != null) {
                        String why = io.tandem.postgres.CloneAuth.refusal(pw, name, slot, header.apply(io.tandem.postgres.CloneAuth.TIME_HEADER),
                                header.apply(io.tandem.postgres.CloneAuth.MAC_HEADER), System.currentTimeMillis());
                        if (why != null) {
                            LOG.warn("event=clone-refused peer={} resource={} slot={} reason=\"{}\"", me.name(), name, slot, why);
                            throw new ApiServer.Forbidden("clone refused: " + why);
                        }
                    }
                    LOG.info("event=clone-serving peer={} resource={} slot={}", me.name(), name, slot);
                    pg.sendClone(slot, out);
                });
            }
        });
        return m;
    }

    /** The standby's side of a clone: the stream from the primary site's agent. */
    private java.io.InputStream openClone(String site, String resource, String slot) throws IOException {
        PeerConfig p = config.peer(site).orElseThrow(() -> new IOException("unknown site " + site));
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(2)).build();
        try {
            java.net.http.HttpRequest.Builder req = java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(p.apiUrl() + "/v1/internal/postgres/" + resource + "/clone?slot=" + slot)).GET();
            // proof that this agent belongs to the cluster: an HMAC keyed with the superuser's password, never the password
            io.tandem.postgres.CloneAuth.headers(config.postgres().passwordFile(), resource, slot, System.currentTimeMillis()).forEach(req::header);
            java.net.http.HttpResponse<java.io.InputStream> r = http.send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                try (java.io.InputStream in = r.body()) {
                    throw new IOException(site + " refused the clone (HTTP " + r.statusCode() + "): " + new String(in.readNBytes(2000)));
                }
            }
            return r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + site + " for a clone", e);
        }
    }

    /** The audit log kept in the cluster state (newest last). */
    public Object audit() {
        return Map.of("audit", sm.state().audit());
    }


    /** This peer's own view: lease, local roles and recent local events (fences included). */
    public Map<String, Object> localView() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("peer", me.name());
        m.put("kind", me.kind().name().toLowerCase());
        m.put("fenced", fenced());
        m.put("raftLeader", sm.leader());
        m.put("configDigest", config.digest());
        m.put("configMatchesCluster", clusterDigest.isEmpty() || clusterDigest.equals(config.digest()));
        Map<String, Object> roles = new LinkedHashMap<>();
        drivers.forEach((r, d) -> {
            DriverStatus st = d.status();
            roles.put(r, Map.of("role", role(r).name(), "epoch", lease.epoch(r), "serving", st.serving().name(), "position", st.position(),
                    "action", st.action(), "lastError", st.lastError(), "lagBytes", st.lagBytes(), "notStreamingMs", st.notStreamingMs()));
        });
        m.put("resources", roles);
        synchronized (localEvents) {
            m.put("events", List.copyOf(localEvents));
        }
        return m;
    }

    @Override
    public void close() {
        LOG.info("event=stopping peer={}", me.name());
        leaseLoop.shutdownNow();
        controlLoop.shutdownNow();
        drivers.values().forEach(d -> {
            try {
                d.close();
            } catch (RuntimeException e) {
                LOG.warn("event=driver-close-failed peer={} error=\"{}\"", me.name(), e.toString());
            }
        });
        closeQuietly();
    }

    private void closeQuietly() {
        if (gateway != null) gateway.close();
        try {
            if (api != null) api.close();
        } catch (Exception e) {
            LOG.warn("event=api-close-failed error=\"{}\"", e.toString());
        }
        try {
            raft.close();
        } catch (IOException e) {
            LOG.warn("event=raft-close-failed error=\"{}\"", e.toString());
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }

    static String rootMessage(Throwable t) {
        Throwable r = rootCause(t);
        return r.getClass().getSimpleName() + (r.getMessage() == null ? "" : ": " + r.getMessage());
    }
}
