package io.tandem.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One site's PostgreSQL server: initdb, start, stop, promote, follow (demote), fence and the
 * replication settings. Thread-compatible: the agent drives one server from one action at a time.
 */
public final class PgServer {
    private static final Logger log = LoggerFactory.getLogger(PgServer.class);

    private final PgOptions opts;
    private final PgBinaries bins;
    private final PgUser user;
    private volatile PgConfig.Replication repl;
    /** The password known to be set on this data directory (never logged), or null. */
    private volatile String passwordSet;

    public PgServer(PgOptions opts, PgBinaries bins) {
        this.opts = opts;
        this.bins = bins;
        this.user = PgUser.resolve(opts.runAsUser());
        this.repl = PgConfig.Replication.primary(SyncStandbys.none());
    }

    /** Locates the binaries named by the options and returns the server. */
    public static PgServer create(PgOptions opts) {
        return new PgServer(opts, PgBinaries.locate(opts.binaries(), opts.dataDir()));
    }

    public PgOptions options() {
        return opts;
    }

    public PgBinaries binaries() {
        return bins;
    }

    public PgUser user() {
        return user;
    }

    /** Creates the first primary's data directory. Fails if it already holds data. */
    public Duration initPrimary() {
        long t0 = System.nanoTime();
        Path dir = opts.dataDir();
        prepareEmptyDataDir();
        user.checkCanReach(dir);
        if (opts.passwordFile() == null) {
            run(List.of(bins.initdb().toString(), "-D", dir.toString(), "-U", opts.superuser(), "--auth=trust",
                    "--encoding=UTF8", "--locale=C", "--no-instructions"), "initdb of " + dir);
        } else {
            // initdb reads the password from a file the PostgreSQL user can read: a private copy, removed at once
            String pw = Passwords.read(opts.passwordFile());
            Path pwfile = dir.resolveSibling(dir.getFileName() + ".initdb-pw");
            try {
                PgConfig.writeFile(pwfile, pw + "\n", user);
                run(List.of(bins.initdb().toString(), "-D", dir.toString(), "-U", opts.superuser(), "--auth=scram-sha-256",
                        "--pwfile=" + pwfile, "--encoding=UTF8", "--locale=C", "--no-instructions"), "initdb of " + dir);
            } finally {
                deleteQuietly(pwfile);
            }
            rememberPassword(pw);
        }
        repl = PgConfig.Replication.primary(SyncStandbys.none());
        PgConfig.write(opts, repl, user);
        Duration took = since(t0);
        log.info("event=pg_initdb site={} dir={} ms={} binaries=\"{}\"", opts.siteName(), dir, took.toMillis(), bins.describe());
        return took;
    }

    /**
     * With a password file, sets the superuser's password on a primary's data directory (stopped) once it differs
     * from the one last set: in single-user mode, the statement on standard input, so it is on no command line.
     * A standby receives it with the primary's WAL. Without one, nothing.
     */
    private void applyPassword() {
        if (opts.passwordFile() == null || isStandbyOnDisk() || repl.readOnly()) {
            return; // a standby gets it from the primary; a fenced former primary must write nothing of its own
        }
        String pw = Passwords.read(opts.passwordFile());
        if (passwordIsSet(pw)) {
            return;
        }
        long t0 = System.nanoTime();
        String sql = alterRole(pw) + "\n";
        // exit_on_error: a failed statement ends single-user mode with a non-zero exit (it would otherwise go on and exit 0);
        // nothing echoes the statement; the literal is read with standard_conforming_strings on
        Cmd.Result r = Cmd.run(user.command(List.of(bins.postgres().toString(), "--single", "-D", opts.dataDir().toString(),
                "-c", "exit_on_error=on", "-c", "log_min_error_statement=panic", "-c", "log_statement=none",
                "-c", "standard_conforming_strings=on", "postgres")), opts.startTimeout(), sql);
        if (!r.ok()) {
            throw new PgException("setting the superuser's password from " + opts.passwordFile() + " failed (exit " + r.exit()
                    + "): " + Cmd.tail(r.output().replace(pw, "***").replace(pw.replace("'", "''"), "***"), 10));
        }
        rememberPassword(pw);
        log.info("event=pg_password_set site={} user={} from=\"{}\" ms={}", opts.siteName(), opts.superuser(), opts.passwordFile(),
                since(t0).toMillis());
    }

    /**
     * True if {@code pw} is the password last set on this data directory: known in memory, else its salted hash in
     * the marker file (checked once per password, not at every look: the hash is deliberately slow).
     */
    private boolean passwordIsSet(String pw) {
        if (pw.equals(passwordSet)) return true;
        try {
            Path set = opts.passwordSetFile();
            if (Files.isRegularFile(set) && Passwords.matches(Files.readString(set), pw)) {
                passwordSet = pw;
                return true;
            }
        } catch (IOException e) {
            // unreadable: set it again
        }
        return false;
    }

    private String alterRole(String pw) {
        return "ALTER ROLE \"" + opts.superuser().replace("\"", "\"\"") + "\" PASSWORD " + Passwords.sqlLiteral(pw);
    }

    private void rememberPassword(String pw) {
        PgConfig.writeFile(opts.passwordSetFile(), Passwords.remember(pw) + "\n", user);
        passwordSet = pw;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("event=pg_delete_failed file={} error=\"{}\"", p, e.getMessage());
        }
    }

    /** The site's pgpass file for libpq tools (written from the password file), or null without a password. */
    Path passfile() {
        return PgConfig.passfile(opts, user);
    }

    /** Creates (or checks) an empty data directory owned by the PostgreSQL user, mode 0700. */
    void prepareEmptyDataDir() {
        Path dir = opts.dataDir();
        try {
            if (Files.exists(dir)) {
                try (var entries = Files.list(dir)) {
                    if (entries.findAny().isPresent()) {
                        throw new PgException("data directory " + dir + " is not empty: refusing to overwrite it."
                                + " Move it aside or pick another postgres.data_dir");
                    }
                }
            } else {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir);
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            user.own(dir);
        } catch (IOException e) {
            throw new PgException("could not create data directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts the server in the role its data directory says (standby.signal present = standby). Refuses a data
     * directory made by another major version than these binaries.
     */
    public void start() {
        if (isRunning()) {
            return;
        }
        Path dir = opts.dataDir();
        if (!isInitialized()) {
            throw new PgException("no PostgreSQL data directory at " + dir + ": initdb or clone it first");
        }
        int made = PgBinaries.dataDirMajor(dir);
        if (made > 0 && made != bins.major()) {
            throw new PgException("the data directory " + dir + " was made by PostgreSQL " + made + ", but the binaries are "
                    + bins.describe() + ": point postgres.bin at PostgreSQL " + made + "'s bin folder (or `embedded`, "
                    + "which is PostgreSQL 18); a data directory is never upgraded silently");
        }
        if (isStandbyOnDisk() && repl.upstream() == null) {
            log.warn("event=pg_standby_without_upstream site={} note=\"starts read-only, streams from nobody\"", opts.siteName());
        }
        PgConfig.write(opts, repl, user);
        applyPassword();
        prepareLogFile();
        long t0 = System.nanoTime();
        Cmd.Result r = Cmd.run(user.command(List.of(bins.pgCtl().toString(), "start", "-D", dir.toString(),
                "-l", opts.logFile().toString(), "-w", "-t", Long.toString(opts.startTimeout().toSeconds()), "-s")),
                opts.startTimeout().plusSeconds(10));
        if (!r.ok()) {
            throw new PgException("PostgreSQL " + opts.siteName() + " did not start (pg_ctl exit " + r.exit() + "): "
                    + r.output().strip() + "\nLast lines of " + opts.logFile() + ":\n" + logTail(15)
                    + "\nFix the cause above (port taken? data directory damaged?) and start again.");
        }
        log.info("event=pg_started site={} addr={}:{} standby={} ms={}", opts.siteName(), opts.listenAddress(),
                opts.port(), isStandbyOnDisk(), since(t0).toMillis());
    }

    /**
     * Stops the server: signals the postmaster (SIGINT = fast, SIGQUIT = immediate, as pg_ctl does)
     * and polls its exit every 5 ms; pg_ctl's own wait loop polls every 100 ms, which would cost a
     * failover or a fence that much.
     */
    public void stop(StopMode mode) {
        long pid = postmasterPid();
        if (pid < 0) {
            return;
        }
        long t0 = System.nanoTime();
        Cmd.Result r = Cmd.run(user.command(List.of("kill", "-" + mode.signal(), Long.toString(pid))), Duration.ofSeconds(10));
        long deadline = t0 + opts.startTimeout().toNanos();
        long killAt = t0 + KILL_AFTER.toNanos();
        while (isRunning() && System.nanoTime() < deadline) {
            if (mode == StopMode.IMMEDIATE && killAt != 0 && System.nanoTime() > killAt) {
                killAt = 0;
                kill(pid);
            }
            sleep(5);
        }
        if (isRunning()) {
            throw new PgException("PostgreSQL " + opts.siteName() + " (pid " + pid + ") did not stop (" + mode + ") within "
                    + opts.startTimeout().toSeconds() + " s: " + r.output().strip() + "\nLast lines of " + opts.logFile()
                    + ":\n" + logTail(10) + "\nStop it with pg_ctl stop -m immediate -D " + opts.dataDir());
        }
        log.info("event=pg_stopped site={} mode={} ms={}", opts.siteName(), mode, since(t0).toMillis());
    }

    /** An immediate stop that has not ended by then is finished with SIGKILL (a hung or SIGSTOPped server ignores SIGQUIT). */
    static final Duration KILL_AFTER = Duration.ofSeconds(1);

    /**
     * SIGKILL to the postmaster's children, then to it: a server that does not act on SIGQUIT (stopped, hung in the
     * kernel) cannot otherwise be fenced. Children first, so none is left holding shared memory; nothing it had not
     * made durable was acknowledged to anyone.
     */
    private void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(pm -> {
            List<ProcessHandle> children = pm.descendants().toList();
            children.forEach(ProcessHandle::destroyForcibly);
            pm.destroyForcibly();
            log.warn("event=pg_killed site={} pid={} children={} msg=\"did not stop within {} ms of SIGQUIT; SIGKILL sent\"", opts.siteName(), pid,
                    children.size(), KILL_AFTER.toMillis());
        });
    }

    /** True if the postmaster named in postmaster.pid is alive. */
    public boolean isRunning() {
        return postmasterPid() >= 0;
    }

    /** The live postmaster's pid from postmaster.pid, or -1. */
    private long postmasterPid() {
        Path pidFile = opts.dataDir().resolve("postmaster.pid");
        try {
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.isEmpty() || lines.getFirst().isBlank()) {
                return -1;
            }
            long pid = Long.parseLong(lines.getFirst().strip());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !zombie(pid) ? pid : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** A killed postmaster's parent is init, which may reap it late: until then it is a zombie, not a running server. */
    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException | RuntimeException e) {
            return false; // no /proc (not Linux) or gone: ProcessHandle decides
        }
    }

    /** True if the data directory holds a cluster (initdb or a clone has run). */
    public boolean isInitialized() {
        return Files.isRegularFile(opts.dataDir().resolve("PG_VERSION"));
    }

    public boolean isStandbyOnDisk() {
        return Files.exists(opts.dataDir().resolve("standby.signal"));
    }

    /**
     * Promotes a running standby and returns once it accepts writes (polled every 5 ms on one
     * session, which survives the promotion). It keeps waiting for the standbys it was told to wait for as a standby
     * (the new epoch's in-sync set, which must have every write from the first one on) until told otherwise.
     */
    public Duration promote() {
        long t0 = System.nanoTime();
        SyncStandbys keep = repl.syncStandbys();
        repl = PgConfig.Replication.primary(keep);
        PgConfig.write(opts, repl, user);
        try (Connection c = connect(); Statement s = c.createStatement()) {
            run(List.of(bins.pgCtl().toString(), "promote", "-D", opts.dataDir().toString(), "-W", "-s"),
                    "promotion of " + opts.siteName());
            reload(); // the standby never read the primary-side settings written above
            long deadline = t0 + opts.startTimeout().toNanos();
            while (inRecovery(s)) {
                if (System.nanoTime() > deadline) {
                    throw new PgException(opts.siteName() + " is still in recovery " + opts.startTimeout().toSeconds()
                            + " s after promotion was requested. Last lines of " + opts.logFile() + ":\n" + logTail(10));
                }
                sleep(5);
            }
        } catch (SQLException e) {
            throw new PgException("promotion of " + opts.siteName() + ": cannot reach the server: " + e.getMessage()
                    + ". Is it running as a standby?", e);
        }
        Duration took = since(t0);
        log.info("event=pg_promoted site={} ms={}", opts.siteName(), took.toMillis());
        return took;
    }

    private static boolean inRecovery(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * Sets synchronous_standby_names (the in-sync set, by application_name = site name) and
     * reloads without restart; returns once a new session sees the new value.
     */
    public void setSyncStandbys(SyncStandbys sync) {
        if (repl.syncStandbys().setting().isEmpty() && !sync.setting().isEmpty()) syncInForce = false;
        repl = repl.withSync(sync);
        PgConfig.write(opts, repl, user);
        if (isRunning()) {
            reload();
            awaitSetting("synchronous_standby_names", sync.setting());
            if (!syncInForce && !sync.setting().isEmpty()) enforceSyncStandbys(); // a failure leaves it to the next call
        }
        if (sync.setting().isEmpty() || !isRunning()) syncInForce = true; // a server started later reads it at start
        log.info("event=pg_sync_standbys site={} value=\"{}\"", opts.siteName(), sync.setting());
    }

    /**
     * A commit waits for standbys only once the checkpointer has read the reloaded setting and set the shared flag
     * that synchronous standbys are defined; until then, though every new session already shows the new value,
     * commits are acknowledged without waiting (a busy checkpointer, e.g. in an immediate checkpoint for a clone, reads
     * it late). Before the caller reports that it waits for a standby (which lets the controller count that standby
     * as having every acknowledged write), a CHECKPOINT (a restartpoint on a standby about to be promoted, so its
     * first write as primary waits already) makes sure the checkpointer went through its loop since the reload. Only
     * the change from none to some matters: with standbys already named the flag is set, and a walsender that has not
     * reloaded yet only makes commits wait longer.
     */
    private void enforceSyncStandbys() {
        long t0 = System.nanoTime();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
        } catch (SQLException e) {
            throw new PgException(opts.siteName() + ": could not make sure synchronous_standby_names is in force (CHECKPOINT failed: "
                    + e.getMessage() + "); it is retried with the next change", e);
        }
        syncInForce = true;
        log.info("event=pg_sync_standbys_enforced site={} ms={}", opts.siteName(), since(t0).toMillis());
    }

    /** False from a change of synchronous_standby_names from none to some until {@link #enforceSyncStandbys} succeeded. */
    private boolean syncInForce = true;

    public SyncStandbys syncStandbys() {
        return repl.syncStandbys();
    }

    /**
     * Demotes to (or configures as) a standby streaming from {@code upstream}: stops the server if
     * it runs, writes standby.signal and primary_conninfo, makes sure the upstream holds a
     * replication slot for this site, and starts. A diverged former primary needs
     * {@link Rejoiner} instead: it would refuse to follow the new timeline.
     */
    public void follow(Upstream upstream) {
        stop(StopMode.FAST);
        try {
            // before the start: a WAL receiver that finds no slot waits wal_retrieve_retry_interval (5 s)
            Slots.ensure(upstream, opts.slotName());
        } catch (PgException e) {
            log.warn("event=pg_slot_missing site={} upstream={}:{} note=\"streams once the slot exists: call follow"
                    + " again when the upstream is up\" error=\"{}\"", opts.siteName(), upstream.host(), upstream.port(),
                    e.getMessage());
        }
        configureStandby(upstream);
        start();
    }

    /** Writes the standby files for a stopped server (after a clone or a rewind). */
    void configureStandby(Upstream upstream) {
        repl = PgConfig.Replication.standby(upstream);
        PgConfig.markStandby(opts.dataDir(), user);
        PgConfig.write(opts, repl, user);
    }

    /**
     * Makes the server refuse writes and returns how long that took. See {@link FenceMode}.
     * After STOP_IMMEDIATE the server stays down, and a later {@link #start()} brings it up as a
     * read-only standby of nobody: it serves writes again only after {@link #promote()}, and
     * {@link #follow} or {@link Rejoiner} make it a standby of the new primary.
     */
    public Duration fence(FenceMode mode) {
        long t0 = System.nanoTime();
        switch (mode) {
            case STOP_IMMEDIATE -> {
                stop(StopMode.IMMEDIATE);
                // any later start() comes up in recovery, read-only: writes need an explicit promote()
                repl = PgConfig.Replication.primary(SyncStandbys.none());
                PgConfig.markStandby(opts.dataDir(), user);
            }
            case READ_ONLY -> {
                repl = repl.withReadOnly(true);
                PgConfig.write(opts, repl, user);
                reload();
                awaitSetting("default_transaction_read_only", "on");
                terminateClients();
            }
        }
        Duration took = since(t0);
        log.info("event=pg_fenced site={} mode={} ms={}", opts.siteName(), mode, took.toMillis());
        return took;
    }

    /** Undoes a {@link FenceMode#READ_ONLY} fence on a running primary: writes are accepted again. */
    public void allowWrites() {
        repl = repl.withReadOnly(false);
        PgConfig.write(opts, repl, user);
        reload();
        awaitSetting("default_transaction_read_only", "off");
        log.info("event=pg_writes_allowed site={}", opts.siteName());
    }

    /** Sends SIGHUP through pg_ctl reload: needs no free connection slot. */
    public void reload() {
        run(List.of(bins.pgCtl().toString(), "reload", "-D", opts.dataDir().toString(), "-s"), "reload of " + opts.siteName());
    }

    public Connection connect() throws SQLException {
        return connect(opts.asUpstream(), 2);
    }

    /**
     * A connection as the superuser. With a password file whose content just changed, a server that still has the
     * previous password (the primary sets the new one within seconds, {@link #rotatePassword}) is reached with the
     * one that last worked, so probes and runbooks never fail on a rotation.
     */
    static Connection connect(Upstream to, int timeoutSeconds) throws SQLException {
        return connect(to, timeoutSeconds, 30);
    }

    /** As {@link #connect(Upstream, int)}, giving up on a server that stops answering after {@code socketTimeoutSeconds}. */
    static Connection connect(Upstream to, int timeoutSeconds, int socketTimeoutSeconds) throws SQLException {
        Path file = to.passwordFile();
        String pw = null;
        if (file != null) {
            try {
                pw = Passwords.read(file);
            } catch (PgException unreadable) {
                pw = Passwords.lastGood(file); // being rewritten: go on with the one that worked
                if (pw == null) throw new SQLException(unreadable.getMessage(), "28P01", unreadable);
            }
        }
        try {
            Connection c = DriverManager.getConnection(to.jdbcUrl(), props(to, pw, timeoutSeconds, socketTimeoutSeconds));
            if (file != null) Passwords.worked(file, pw);
            return c;
        } catch (SQLException e) {
            if (!"28P01".equals(e.getSQLState()) || file == null) throw e;
            // a server that has not replayed the new password yet (a standby) still takes an earlier one
            for (String previous : Passwords.earlier(file, pw)) {
                try {
                    return DriverManager.getConnection(to.jdbcUrl(), props(to, previous, timeoutSeconds, socketTimeoutSeconds));
                } catch (SQLException again) {
                    if (!"28P01".equals(again.getSQLState())) throw again;
                }
            }
            throw e;
        }
    }

    private static Properties props(Upstream to, String password, int timeoutSeconds, int socketTimeoutSeconds) {
        Properties p = new Properties();
        p.setProperty("user", to.user());
        if (password != null) p.setProperty("password", password);
        p.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        p.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        p.setProperty("ApplicationName", "tandem-agent");
        return p;
    }

    /**
     * On a running primary, sets the superuser's password from the password file when it differs from the one set last
     * (a rotation: no restart, no failover). The statement is neither logged nor echoed in an error by this session.
     * Returns true when it set one. Without a password file, or when nothing changed, nothing happens.
     */
    public boolean rotatePassword() {
        if (opts.passwordFile() == null) return false;
        String pw = Passwords.read(opts.passwordFile());
        if (passwordIsSet(pw)) return false;
        long t0 = System.nanoTime();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            if (inRecovery(s)) return false; // a standby receives it with the primary's WAL
            s.execute("SET log_statement = 'none'");
            s.execute("SET log_min_error_statement = 'panic'");
            s.execute("SET log_min_duration_statement = -1");
            s.execute("SET standard_conforming_strings = on");
            // no wait for a synchronous standby that may be gone: every new primary applies the file again
            s.execute("SET synchronous_commit = local");
            s.execute("SET statement_timeout = '10s'");
            s.execute(alterRole(pw));
        } catch (SQLException e) {
            throw new PgException("setting the new superuser password from " + opts.passwordFile() + " on " + opts.siteName()
                    + " failed: " + e.getMessage().replace(pw, "***"), e);
        }
        // said as soon as it is in force (clients log in with it from now on); remembering it (a PBKDF2 hash) comes after
        log.info("event=pg_password_set site={} user={} from=\"{}\" online=true ms={}", opts.siteName(), opts.superuser(), opts.passwordFile(),
                since(t0).toMillis());
        Passwords.worked(opts.passwordFile(), pw);
        rememberPassword(pw);
        return true;
    }

    /** Rewrites this site's pgpass file when the password file changed, so the next replication connection uses it. */
    public void refreshPgpass() {
        // before the first initdb or clone its folder does not exist yet; those write the file themselves when they need it
        if (opts.passwordFile() == null || !Files.isDirectory(opts.pgpassFile().getParent())) return;
        String want = Passwords.pgpassLine(opts.superuser(), Passwords.read(opts.passwordFile()));
        try {
            if (Files.isRegularFile(opts.pgpassFile()) && Files.readString(opts.pgpassFile()).equals(want)) return;
        } catch (IOException e) {
            // rewrite it
        }
        PgConfig.passfile(opts, user);
    }

    /** The current state as seen over SQL: down, primary with its standbys, or standby with its lag. */
    public PgStatus probe() {
        return PgProbe.probe(opts.asUpstream());
    }

    /** The last lines of the server log, for error messages. */
    public String logTail(int lines) {
        try {
            return Files.exists(opts.logFile()) ? Cmd.tail(Files.readString(opts.logFile()), lines) : "(no log yet)";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    private void terminateClients() {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    + "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
        } catch (SQLException e) {
            throw new PgException("fence of " + opts.siteName() + ": could not terminate client sessions: " + e.getMessage(), e);
        }
    }

    private void awaitSetting(String name, String expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String seen = "?";
        while (System.nanoTime() < deadline) {
            try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW " + name)) {
                rs.next();
                seen = rs.getString(1);
                if (seen.equals(expected)) {
                    return;
                }
            } catch (SQLException e) {
                seen = e.getMessage();
            }
            sleep(10);
        }
        throw new PgException(opts.siteName() + ": " + name + " is still '" + seen + "' 10 s after reload, expected '"
                + expected + "'. Check " + opts.logFile() + " and that nothing set it with ALTER SYSTEM");
    }

    private void prepareLogFile() {
        Path logFile = opts.logFile();
        try {
            if (!Files.exists(logFile)) {
                Files.createFile(logFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            user.own(logFile);
        } catch (IOException e) {
            throw new PgException("could not create the server log " + logFile + ": " + e.getMessage(), e);
        }
    }

    /** Runs a PostgreSQL command as the PostgreSQL user and fails with its output. */
    String run(List<String> command, String what) {
        return Cmd.check(user.command(new ArrayList<>(command)), opts.startTimeout().plusSeconds(10), what);
    }

    static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgException("interrupted", e);
        }
    }
}
