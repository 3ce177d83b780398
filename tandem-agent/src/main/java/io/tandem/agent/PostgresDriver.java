package io.tandem.agent;

import io.tandem.control.LocalRole;
import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.ReplicationMode;
import io.tandem.model.config.ResourceConfig;
import io.tandem.model.config.TandemConfig;
import io.tandem.postgres.BinariesSpec;
import io.tandem.postgres.Cloner;
import io.tandem.postgres.FenceMode;
import io.tandem.postgres.PgException;
import io.tandem.postgres.PgOptions;
import io.tandem.postgres.PgServer;
import io.tandem.postgres.PgStatus;
import io.tandem.postgres.Rejoiner;
import io.tandem.postgres.SyncCommit;
import io.tandem.postgres.SyncStandbys;
import io.tandem.postgres.Upstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives this site's PostgreSQL for one resource. The agent's lease loop sets the wanted role; a worker
 * thread converges the server to it (initdb, clone from the primary's agent, follow, rejoin, promote),
 * one step at a time, and a probe thread reads positions and the primary's standbys. Only the fence
 * runs on the caller's thread: it must land within fence_after.
 */
final class PostgresDriver implements ResourceDriver {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresDriver.class);
    private static final String ROLE_FILE = "tandem-role";

    /** Fetches a clone of {@code resource} from the agent of {@code site} into the stream consumer. */
    interface CloneSource {
        InputStream open(String site, String resource, String slot) throws IOException;
    }

    private record Wanted(LocalRole role, String primary, long epoch, Set<String> waitFor) {
        Wanted(LocalRole role, String primary, long epoch) {
            this(role, primary, epoch, Set.of());
        }
    }

    private final String site;
    private final ResourceConfig resource;
    private final TandemConfig config;
    private final PgServer server;
    private final Path roleFile;
    private final CloneSource cloneSource;
    private final ExecutorService worker;
    private final ScheduledExecutorService prober;
    private final Object lock = new Object();

    private volatile Wanted wanted = new Wanted(LocalRole.FENCED, "", 0);
    private volatile LocalRole serving = LocalRole.FENCED;
    private volatile long servingEpoch;
    private volatile String servingPrimary = "";
    private volatile String action = "";
    private volatile String lastError = "";
    private java.util.concurrent.ScheduledExecutorService passwords;
    private volatile Set<String> waitingFor = Set.of();
    private volatile PgStatus lastProbe = new PgStatus.Down("not probed yet");
    private volatile boolean closed;
    /** Writes stopped for a switchover (read-only, still streaming); a lost lease must still stop the server. */
    private volatile boolean writesStopped;
    /** After a switchover's stop-writes: the last position written before the clean stop (reported while stopped). */
    private volatile long finalPosition;
    /** The role file's mark of a former primary that a switchover stopped cleanly (its WAL ends where its standbys' does). */
    static final String STOPPED_CLEAN = "primary-stopped-clean";
    /** How long a cleanly stopped former primary may take to stream from the new primary before it is rewound instead. */
    private static final long FOLLOW_CHECK_MS = 15_000;

    PostgresDriver(TandemConfig config, PeerConfig site, ResourceConfig resource, CloneSource cloneSource) {
        this.site = site.name();
        this.resource = resource;
        this.config = config;
        this.cloneSource = cloneSource;
        Path dir = config.dataDir().resolve(site.name()).resolve("pg").resolve(resource.name());
        BinariesSpec bins = BinariesSpec.of(config.postgres().bin());
        PgOptions opts = new PgOptions(site.name(), dir.resolve("data"), site.address(), resource.port(), config.postgres().superuser(),
                bins, config.postgres().runAs(), allowedNetworks(config),
                resource.syncCommit() == io.tandem.model.config.SyncCommit.REMOTE_APPLY ? SyncCommit.REMOTE_APPLY : SyncCommit.ON,
                java.util.Map.of("max_slot_wal_keep_size", config.postgres().maxSlotWalKeepSizeSetting(),
                        "wal_keep_size", config.postgres().walKeepSizeSetting()), java.time.Duration.ofSeconds(60),
                config.postgres().passwordFile());
        this.server = PgServer.create(opts);
        this.roleFile = dir.resolve(ROLE_FILE);
        this.worker = Executors.newSingleThreadExecutor(Agent.daemon("tandem-pg-" + resource.name()));
        this.prober = Executors.newSingleThreadScheduledExecutor(Agent.daemon("tandem-pg-probe-" + resource.name()));
        prober.scheduleWithFixedDelay(this::probe, 250, 250, TimeUnit.MILLISECONDS);
        prober.scheduleWithFixedDelay(this::checkStranded, 5, 5, TimeUnit.SECONDS);
        if (config.postgres().passwordFile() != null) {
            // its own thread: an ALTER ROLE that waits must never delay the probes
            passwords = Executors.newSingleThreadScheduledExecutor(Agent.daemon("tandem-pg-password-" + resource.name()));
            passwords.scheduleWithFixedDelay(this::checkPassword, 2, 2, TimeUnit.SECONDS);
        }
        startWatchdog(opts.dataDir());
        LOG.info("event=pg-driver site={} resource={} data={} port={} binaries=\"{}\"", this.site, resource.name(), opts.dataDir(),
                resource.port(), server.binaries().describe());
    }

    /** postgres.clients and every site's address (a host of its own, for replication). */
    static List<String> allowedNetworks(TandemConfig config) {
        java.util.LinkedHashSet<String> nets = new java.util.LinkedHashSet<>(config.postgres().clients());
        for (PeerConfig p : config.peers()) {
            if (p.kind() != io.tandem.model.config.PeerKind.SITE || p.address() == null) continue;
            String a = p.address();
            nets.add(a.matches("[0-9.]+") ? a + "/32" : a.contains(":") ? a + "/128" : a); // pg_hba takes a host name as it is
        }
        return List.copyOf(nets);
    }

    /**
     * PostgreSQL outlives its agent (pg_ctl daemonizes it), so an agent killed alone would leave a primary taking
     * writes that no lease fences any more. A small shell process, not a child of this JVM's lifetime, watches the
     * agent and stops PostgreSQL at once (SIGQUIT: immediate shutdown) within 100 ms of the agent's death.
     */
    private void startWatchdog(Path dataDir) {
        long agent = ProcessHandle.current().pid();
        Path pidFile = dataDir.resolve("postmaster.pid");
        // alive = /proc entry present and not a zombie (a killed agent stays a zombie until its parent reaps it)
        String script = "while [ -r /proc/" + agent + "/status ] && ! grep -q '^State:[[:space:]]*Z' /proc/" + agent + "/status; do sleep 0.1; done; "
                + "P=$(head -1 '" + pidFile + "' 2>/dev/null); "
                + "[ -n \"$P\" ] && [ \"$(cat /proc/$P/comm 2>/dev/null)\" = postgres ] && kill -QUIT \"$P\"";
        try {
            new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            LOG.warn("event=pg-watchdog-failed site={} resource={} error=\"{}\" msg=\"if this agent dies, its PostgreSQL keeps running\"",
                    site, resource.name(), e.getMessage());
        }
    }

    @Override
    public void fence(String reason) {
        wanted = new Wanted(LocalRole.FENCED, wanted.primary(), wanted.epoch());
        // A standby or a stopped server has nothing to fence; a primary (or one being promoted) stops at once.
        if (serving == LocalRole.PRIMARY || action.startsWith("promote") || writesStopped) {
            synchronized (lock) {
                try {
                    long ms = server.fence(FenceMode.STOP_IMMEDIATE).toMillis();
                    LOG.warn("event=pg-fenced site={} resource={} ms={} reason=\"{}\"", site, resource.name(), ms, reason);
                } catch (PgException e) {
                    lastError = "fence: " + e.getMessage();
                    LOG.error("event=pg-fence-failed site={} resource={} error=\"{}\"", site, resource.name(), e.getMessage());
                }
                serving = LocalRole.FENCED;
                waitingFor = Set.of();
                writesStopped = false;
            }
        } else if (serving != LocalRole.STANDBY) {
            serving = LocalRole.FENCED;
        }
    }

    @Override
    public void stopWrites(String reason) {
        wanted = new Wanted(LocalRole.FENCED, wanted.primary(), wanted.epoch());
        if (serving != LocalRole.PRIMARY) return;
        synchronized (lock) {
            try {
                long t0 = System.nanoTime();
                server.fence(FenceMode.READ_ONLY); // clients cut, no new writes
                writesStopped = true;
                serving = LocalRole.FENCED;
                probe();
                finalPosition = lastProbe instanceof PgStatus.Primary pr ? pr.currentLsn().value() : 0L;
                // A clean stop: PostgreSQL's walsenders exit only once each streaming standby has flushed all WAL,
                // the shutdown checkpoint included. The target, promoted after it replayed at least finalPosition,
                // then holds this site's whole history, which can follow the new timeline without a rewind or clone.
                server.stop(io.tandem.postgres.StopMode.FAST);
                writeRole(STOPPED_CLEAN, servingEpoch);
                LOG.info("event=pg-writes-stopped site={} resource={} ms={} final_lsn={} stopped=clean reason=\"{}\"", site, resource.name(),
                        (System.nanoTime() - t0) / 1_000_000, new io.tandem.postgres.Lsn(finalPosition), reason);
            } catch (PgException e) {
                lastError = "stop writes: " + e.getMessage();
                LOG.error("event=pg-stop-writes-failed site={} resource={} error=\"{}\"", site, resource.name(), e.getMessage());
            }
        }
    }

    @Override
    public void promote(long epoch, Set<String> waitFor, String reason) {
        want(new Wanted(LocalRole.PRIMARY, site, epoch, Set.copyOf(waitFor)));
    }

    @Override
    public void follow(String primarySite, long epoch, String reason) {
        want(new Wanted(LocalRole.STANDBY, primarySite, epoch));
    }

    private void want(Wanted w) {
        Wanted was = wanted;
        if (w.role() != was.role() || w.epoch() != was.epoch() || !w.primary().equals(was.primary())) {
            workedSince(System.nanoTime() / 1_000_000); // it could not do this work before it was asked to
        }
        wanted = w;
        if (!closed) worker.execute(this::converge);
    }

    /** One pass towards the wanted role; later calls catch up with later wishes. */
    private void converge() {
        Wanted w = wanted;
        if (w.role() == serving && w.epoch() == servingEpoch && w.primary().equals(servingPrimary)) return;
        try {
            switch (w.role()) {
                case PRIMARY -> becomePrimary(w);
                case STANDBY -> becomeStandby(w);
                case FENCED -> { }
            }
            lastError = "";
        } catch (RuntimeException | IOException e) {
            lastError = w.role().name().toLowerCase() + " at epoch " + w.epoch() + ": " + e.getMessage();
            LOG.error("event=pg-action-failed site={} resource={} wanted={} epoch={} error=\"{}\"", site, resource.name(), w.role(), w.epoch(),
                    String.valueOf(e.getMessage()).replace('\n', ' '));
            if (!closed) {
                // try again shortly; the wish may have changed meanwhile
                prober.schedule(() -> worker.execute(this::converge), 1, TimeUnit.SECONDS);
            }
        } finally {
            action = "";
        }
    }

    private void becomePrimary(Wanted w) throws IOException {
        synchronized (lock) {
            if (wanted != w) return;
            if (!server.isInitialized()) {
                if (w.epoch() != 1) {
                    throw new PgException("asked to serve as primary at epoch " + w.epoch() + " but " + server.options().dataDir()
                            + " holds no database; refusing to create an empty one over the cluster's data. Restore it, or fail over to another site");
                }
                action = "initdb";
                server.initPrimary();
            }
            action = "promote to epoch " + w.epoch();
            // Before the promotion: the epoch's in-sync standbys have every write from the first one on. A switchover
            // given up at this site keeps waiting for whom it waited for (a superset is always safe).
            Set<String> first = new TreeSet<>(w.waitFor());
            first.addAll(waitingFor);
            applyWaitFor(first);
            if (!server.isRunning()) server.start();
            if (server.isStandbyOnDisk()) server.promote();
            if (writesStopped) {
                server.allowWrites(); // a switchover that gave up: this site takes writes again
                writesStopped = false;
            }
            writeRole("primary", w.epoch());
            serving = LocalRole.PRIMARY;
            servingEpoch = w.epoch();
            servingPrimary = site;
            workedSince(System.nanoTime() / 1_000_000); // its time as primary starts now, not at its last streaming probe
            LOG.info("event=pg-primary site={} resource={} epoch={}", site, resource.name(), w.epoch());
        }
    }

    private void becomeStandby(Wanted w) throws IOException {
        if (w.primary().isEmpty()) {
            // no primary yet: nothing to follow; the site is a standby of nobody
            serving = LocalRole.STANDBY;
            servingEpoch = w.epoch();
            servingPrimary = "";
            return;
        }
        Upstream upstream = upstream(w.primary());
        String[] was = readRole();
        synchronized (lock) {
            if (wanted != w) return;
            boolean following = false;
            if (!server.isInitialized()) {
                cloneFrom(w.primary());
            } else if (was[0].startsWith("primary") && Long.parseLong(was[1]) < w.epoch()) {
                // A former primary may hold WAL the new primary never had: it cannot simply follow, unless a switchover
                // stopped it cleanly (then it follows; PostgreSQL itself refuses a history the new primary lacks).
                following = was[0].equals(STOPPED_CLEAN) && followWithoutRewind(upstream, w.primary());
                if (!following) rejoin(w.primary());
            }
            writesStopped = false;
            if (!following) {
                action = "follow " + w.primary();
                server.follow(upstream);
            }
            writeRole("standby", w.epoch());
            serving = LocalRole.STANDBY;
            servingEpoch = w.epoch();
            servingPrimary = w.primary();
            workedSince(System.nanoTime() / 1_000_000); // nor while it restarted to follow it
            waitingFor = Set.of();
            LOG.info("event=pg-standby site={} resource={} epoch={} primary={}", site, resource.name(), w.epoch(), w.primary());
        }
    }

    private void cloneFrom(String primary) throws IOException {
        long t0 = System.nanoTime();
        if (server.binaries().tool("pg_basebackup").isPresent()) {
            action = "pg_basebackup from " + primary;
            Cloner.withPgBasebackup(server, upstream(primary));
            LOG.info("event=pg-cloned site={} resource={} from={} method=pg_basebackup ms={}", site, resource.name(), primary,
                    (System.nanoTime() - t0) / 1_000_000);
            return;
        }
        action = "clone from " + primary;
        Cloner.checkSameMajor(server, upstream(primary));
        try (InputStream in = cloneSource.open(primary, resource.name(), server.options().slotName())) {
            long bytes = Cloner.receiveBackup(in, server);
            LOG.info("event=pg-cloned site={} resource={} from={} method=backup-api bytes={} ms={}", site, resource.name(), primary, bytes,
                    (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /**
     * A former primary that a switchover stopped cleanly follows the new primary as it is; true once it streams. False
     * (and stopped) when it does not stream within {@link #FOLLOW_CHECK_MS}, e.g. because PostgreSQL found its history
     * diverged: the caller rewinds or re-clones it then.
     */
    private boolean followWithoutRewind(Upstream upstream, String primary) {
        action = "follow " + primary + " (stopped cleanly by the switchover: no rewind needed)";
        long t0 = System.nanoTime();
        try {
            server.follow(upstream);
            while ((System.nanoTime() - t0) / 1_000_000 < FOLLOW_CHECK_MS) {
                probe();
                if (lastProbe instanceof PgStatus.Standby st && st.streaming()) {
                    LOG.info("event=pg-rejoined site={} resource={} primary={} method=follow ms={}", site, resource.name(), primary,
                            (System.nanoTime() - t0) / 1_000_000);
                    return true;
                }
                Thread.sleep(100);
            }
            LOG.warn("event=pg-follow-failed site={} resource={} primary={} msg=\"not streaming after {} ms; rejoining by rewind or clone\"",
                    site, resource.name(), primary, FOLLOW_CHECK_MS);
        } catch (PgException e) {
            LOG.warn("event=pg-follow-failed site={} resource={} primary={} error=\"{}\" msg=\"rejoining by rewind or clone\"", site,
                    resource.name(), primary, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.stop(io.tandem.postgres.StopMode.FAST);
        return false;
    }

    /**
     * Brings a former primary back: pg_rewind onto the new primary's timeline where the binaries have it, else (or if
     * the rewind fails) a re-clone with the old data directory kept aside (never deleted here).
     */
    private void rejoin(String primary) throws IOException {
        action = "rejoin " + primary;
        long t0 = System.nanoTime();
        server.stop(io.tandem.postgres.StopMode.FAST);
        if (server.binaries().tool("pg_rewind").isPresent()) {
            action = "pg_rewind from " + primary;
            if (Rejoiner.tryRewind(server, upstream(primary))) {
                LOG.info("event=pg-rejoined site={} resource={} primary={} method=pg_rewind ms={}", site, resource.name(), primary,
                        (System.nanoTime() - t0) / 1_000_000);
                return;
            }
            action = "rejoin " + primary + " (pg_rewind failed: re-cloning)";
        }
        Cloner.checkSameMajor(server, upstream(primary)); // before anything is moved: a version mismatch changes nothing here
        Rejoiner.moveAside(server.options().dataDir(), "diverged", "the former primary's data may hold commits no other site has; it is kept for the operator");
        cloneFrom(primary);
        LOG.info("event=pg-rejoined site={} resource={} primary={} method=reclone ms={}", site, resource.name(), primary,
                (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Applied on the driver's worker, not on the caller's thread: the agent calls this from its lease loop while holding
     * the lease, and applying a set (rewrite the settings, reload, wait for them, a CHECKPOINT when standbys are first
     * named) takes 150-400 ms on a busy machine. Done there, two changes in a row kept the lease from being renewed for
     * 951 ms and a healthy primary fenced itself (seen in ThreeSitesFailoverTest's setup while two standbys were
     * cloned). Safe as it is: until a set is applied the server waits for the previous one, and the agent reports only
     * the sites {@link DriverStatus#waitingFor()} says are applied. Only the latest set asked for is applied.
     */
    @Override
    public void waitFor(Set<String> sites) {
        if (resource.mode() != ReplicationMode.SYNC || serving != LocalRole.PRIMARY) return;
        Set<String> want = Set.copyOf(sites);
        Set<String> pending = pendingWaitFor.get();
        if (pending == null ? want.equals(waitingFor) : want.equals(pending)) return;
        if (pendingWaitFor.getAndSet(want) == null && !closed) worker.execute(this::applyPendingWaitFor);
    }

    private final java.util.concurrent.atomic.AtomicReference<Set<String>> pendingWaitFor = new java.util.concurrent.atomic.AtomicReference<>();

    private void applyPendingWaitFor() {
        synchronized (lock) {
            Set<String> sites = pendingWaitFor.getAndSet(null);
            if (sites == null || serving != LocalRole.PRIMARY || sites.equals(waitingFor)) return;
            try {
                applyWaitFor(sites);
            } catch (PgException e) {
                lastError = "synchronous_standby_names: " + e.getMessage();
            }
        }
    }

    private void applyWaitFor(Set<String> sites) {
        if (resource.mode() != ReplicationMode.SYNC) return;
        List<String> names = new ArrayList<>(new TreeSet<>(sites));
        server.setSyncStandbys(names.isEmpty() ? SyncStandbys.none() : SyncStandbys.all(names));
        waitingFor = Set.copyOf(sites);
    }

    /** The primary's side of a clone: streams a base backup of this site's data directory. */
    void sendClone(String slot, OutputStream out) {
        if (serving != LocalRole.PRIMARY) {
            throw new PgException(site + " is not the primary of " + resource.name() + "; clone from the primary");
        }
        Cloner.sendBackup(server.options().asUpstream(), server.options().dataDir(), slot, out);
    }

    /** Since when this standby has not been streaming (monotonic ms), 0 while it streams. */
    private volatile long notStreamingSinceMs;

    /**
     * A standby that cannot stream because the primary no longer keeps the WAL it needs (its slot given up past
     * max_slot_wal_keep_size, or the segment removed) never catches up by waiting: it is re-cloned, its old copy kept
     * aside. Checked every 5 s once it has not streamed for 10 s; only these two explicit signals trigger it.
     */
    private void checkStranded() {
        try {
            long now = System.nanoTime() / 1_000_000;
            boolean streaming = lastProbe instanceof PgStatus.Standby st && st.streaming();
            if (serving != LocalRole.STANDBY || servingPrimary.isEmpty() || streaming || !action.isEmpty()) {
                notStreamingSinceMs = 0;
                return;
            }
            if (notStreamingSinceMs == 0) notStreamingSinceMs = now;
            if (now - notStreamingSinceMs < 10_000) return;
            String primary = servingPrimary;
            String slot = io.tandem.postgres.Slots.walStatus(upstream(primary), server.options().slotName());
            boolean removed = server.logTail(50).contains("has already been removed");
            if (!slot.equals("lost") && !removed) return;
            notStreamingSinceMs = 0;
            String why = slot.equals("lost") ? "its replication slot on " + primary + " was given up (max_slot_wal_keep_size)"
                    : primary + " no longer has the WAL it needs";
            LOG.warn("event=pg-standby-stranded site={} resource={} primary={} reason=\"{}\" msg=\"re-cloning\"", site, resource.name(), primary, why);
            worker.execute(() -> reclone(primary, why));
        } catch (RuntimeException e) {
            LOG.debug("event=pg-stranded-check-failed site={} error=\"{}\"", site, e.getMessage());
        }
    }

    /**
     * A changed postgres.password_file is applied while everything runs: the serving primary sets it (ALTER ROLE, the
     * standbys get it with the WAL) and every site rewrites its pgpass for its next replication connection.
     */
    private void checkPassword() {
        try {
            server.refreshPgpass();
            if (serving == LocalRole.PRIMARY && lastProbe instanceof PgStatus.Primary && !writesStopped) {
                server.rotatePassword();
            }
        } catch (RuntimeException e) {
            lastError = "password rotation: " + e.getMessage();
            LOG.warn("event=pg-password-rotation-failed site={} resource={} error=\"{}\"", site, resource.name(), e.getMessage());
        }
    }

    private void reclone(String primary, String why) {
        synchronized (lock) {
            if (serving != LocalRole.STANDBY || !primary.equals(servingPrimary) || wanted.role() != LocalRole.STANDBY) return;
            long t0 = System.nanoTime();
            try {
                action = "re-clone from " + primary + " (" + why + ")";
                Cloner.checkSameMajor(server, upstream(primary)); // before anything is stopped or moved
                server.stop(io.tandem.postgres.StopMode.FAST);
                Rejoiner.moveAside(server.options().dataDir(), "stale", "a standby that could not catch up: nothing in it is missing elsewhere; delete it once the new copy streams");
                cloneFrom(primary);
                server.follow(upstream(primary));
                LOG.info("event=pg-recloned site={} resource={} primary={} reason=\"{}\" ms={}", site, resource.name(), primary, why,
                        (System.nanoTime() - t0) / 1_000_000);
                lastError = "";
            } catch (IOException | RuntimeException e) {
                lastError = "re-clone: " + e.getMessage();
                LOG.error("event=pg-reclone-failed site={} resource={} error=\"{}\"", site, resource.name(), e.getMessage());
                serving = LocalRole.FENCED; // converge clones again on the next wish
                prober.schedule(() -> worker.execute(this::converge), 1, TimeUnit.SECONDS);
            } finally {
                action = "";
            }
        }
    }

    private void probe() {
        long started = System.nanoTime() / 1_000_000;
        try {
            lastProbe = server.probe();
        } catch (RuntimeException e) {
            lastProbe = new PgStatus.Down(e.getMessage());
        }
        LocalRole role = serving;
        boolean working = role == LocalRole.PRIMARY ? lastProbe instanceof PgStatus.Primary
                : role != LocalRole.STANDBY || servingPrimary.isEmpty() || lastProbe instanceof PgStatus.Standby st && st.streaming();
        if (working) {
            workedSince(started);
        }
        long now = System.nanoTime() / 1_000_000;
        if (lastProbe instanceof PgStatus.Down && now - lastRestartMs >= 1000 && crashed()) {
            lastRestartMs = now;
            worker.execute(this::restartAfterCrash);
        }
    }

    /**
     * When the last probe that saw this copy doing its role's work began: a standby streaming, a primary answering as
     * one (otherwise the last probe), or when it took on its current role, whichever is later. Its age is how long the
     * copy has not worked, and it grows while a probe hangs on a server that does not answer. The controller blames a
     * standby that stopped only while its primary works. Without the reset at a role change, a standby promoted after
     * its primary died counted the time it could not stream from the dead one as time it had not worked as primary (a
     * primary lost right after its promotion was replaced ~2 s before copy_fail_after), and a standby told to follow a
     * new primary could be blamed for not having streamed from it before it was told.
     * <p>
     * It only moves forward, and starts at the moment a new role, epoch or primary is asked for (not when the copy has
     * taken it on): the agent reports the role and epoch it was told at once, while PostgreSQL restarts to follow, so a
     * standby told to follow a promoted one reported the seconds since it last streamed from the dead primary as not
     * streaming from the new one and was taken out of the in-sync set the new primary's first commits should wait for
     * (ThreeSitesFailoverTest, in CI). A probe that began before a role change and ends after it cannot move it back.
     */
    private final java.util.concurrent.atomic.AtomicLong workedAtMs = new java.util.concurrent.atomic.AtomicLong(System.nanoTime() / 1_000_000);

    private void workedSince(long ms) {
        workedAtMs.accumulateAndGet(ms, Math::max);
    }
    private volatile long lastRestartMs;

    /**
     * The server is gone (killed, crashed) while this site serves a role with it and nothing of ours stopped it: no
     * action under way, no planned stop, the role still wanted. A server that runs but does not answer is not ours to
     * restart (hung, out of connections): as a standby it leaves the in-sync set once it has not streamed for fail_after.
     */
    private boolean crashed() {
        LocalRole s = serving;
        return !closed && !writesStopped && action.isEmpty() && wanted.role() == s
                && (s == LocalRole.PRIMARY || s == LocalRole.STANDBY && !servingPrimary.isEmpty())
                && server.isInitialized() && !server.isRunning();
    }

    /**
     * Restarts a crashed server in the role it had, as Patroni does: a primary (it still holds the lease, or fence()
     * would have stopped it and set it FENCED) recovers from its WAL and takes writes at the same epoch, waiting for the
     * same standbys; a standby streams again and re-enters the in-sync set once caught up. A failed start is retried
     * every second, with the reason in status.
     */
    private void restartAfterCrash() {
        synchronized (lock) {
            if (!crashed()) return;
            LocalRole role = serving;
            long t0 = System.nanoTime();
            action = "restart after a crash";
            try {
                LOG.warn("event=pg-crashed site={} resource={} role={} epoch={} msg=\"PostgreSQL is gone while the agent runs; restarting it\"",
                        site, resource.name(), role, servingEpoch);
                server.start();
                lastError = "";
                LOG.info("event=pg-restarted site={} resource={} role={} epoch={} ms={}", site, resource.name(), role, servingEpoch,
                        (System.nanoTime() - t0) / 1_000_000);
            } catch (RuntimeException e) {
                lastError = "restart after a crash: " + e.getMessage();
                LOG.error("event=pg-restart-failed site={} resource={} role={} error=\"{}\" msg=\"retried every second\"", site, resource.name(),
                        role, String.valueOf(e.getMessage()).replace('\n', ' '));
            } finally {
                action = "";
            }
        }
    }

    @Override
    public DriverStatus status() {
        PgStatus p = lastProbe;
        long position = switch (p) {
            case PgStatus.Primary pr -> pr.currentLsn().value();
            case PgStatus.Standby st -> st.replayLsn().value();
            case PgStatus.Down d -> writesStopped ? finalPosition : 0L;
        };
        List<String> caughtUp = p instanceof PgStatus.Primary pr
                ? resource.sites().stream().filter(s -> !s.equals(site) && pr.caughtUp(s)).toList() : List.of();
        long lag = switch (p) {
            case PgStatus.Primary pr -> 0L;
            case PgStatus.Standby st -> st.streaming() ? st.lagBytes() : -1L;
            case PgStatus.Down d -> -1L;
        };
        LocalRole role = serving;
        long notStreaming = role == LocalRole.PRIMARY || role == LocalRole.STANDBY && !servingPrimary.isEmpty()
                ? Math.max(0, System.nanoTime() / 1_000_000 - workedAtMs.get()) : 0;
        return new DriverStatus(serving, servingEpoch, position, true, caughtUp, waitingFor, lag, action, lastError, notStreaming);
    }

    private Upstream upstream(String siteName) {
        PeerConfig p = config.peer(siteName).orElseThrow(() -> new PgException("unknown site " + siteName));
        return new Upstream(p.address(), resource.port(), config.postgres().superuser(), config.postgres().passwordFile());
    }

    private void writeRole(String role, long epoch) {
        try {
            Files.createDirectories(roleFile.getParent());
            Files.writeString(roleFile, role + " " + epoch + "\n");
        } catch (IOException e) {
            throw new PgException("cannot record the role in " + roleFile + ": " + e.getMessage(), e);
        }
    }

    private String[] readRole() {
        try {
            String[] parts = Files.readString(roleFile).trim().split(" ");
            return parts.length == 2 ? parts : new String[] {"none", "0"};
        } catch (IOException e) {
            return new String[] {"none", "0"};
        }
    }

    @Override
    public void close() {
        closed = true;
        worker.shutdownNow();
        prober.shutdownNow();
        if (passwords != null) passwords.shutdownNow();
        synchronized (lock) {
            try {
                server.stop(io.tandem.postgres.StopMode.FAST);
            } catch (RuntimeException e) {
                LOG.warn("event=pg-stop-failed site={} resource={} error=\"{}\"", site, resource.name(), e.getMessage());
            }
        }
    }

}
