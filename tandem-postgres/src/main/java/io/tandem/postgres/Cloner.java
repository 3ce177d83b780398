package io.tandem.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clones a standby from a running primary. With pg_basebackup of the same major version when
 * present; otherwise through the low-level backup API: a replication slot is taken first (so no
 * WAL the standby needs is recycled), then pg_backup_start, a copy of the data directory as a
 * {@link DataDirStream}, pg_backup_stop, whose label file becomes backup_label in the copy.
 * Either way the copy is then configured as a standby of the primary and started.
 */
public final class Cloner {
    public enum Method { PG_BASEBACKUP, BACKUP_API }

    public record Result(Method method, Duration took, long bytes) {}

    private static final Logger log = LoggerFactory.getLogger(Cloner.class);

    private Cloner() {}

    /**
     * Clones with pg_basebackup if this server's binaries have it, else with the backup API reading
     * {@code primaryDataDir} (the primary's data directory on this machine).
     */
    public static Result clone(PgServer target, Upstream primary, Path primaryDataDir) {
        return target.binaries().tool("pg_basebackup").isPresent()
                ? withPgBasebackup(target, primary)
                : withBackupApi(target, primary, primaryDataDir);
    }

    public static Result withPgBasebackup(PgServer target, Upstream primary) {
        Path basebackup = target.binaries().tool("pg_basebackup").orElseThrow(() -> new PgException(
                "no pg_basebackup of PostgreSQL " + target.binaries().major() + " next to " + target.binaries().binDir()
                        + ": use the backup API clone or install the client tools of that major version"));
        long t0 = System.nanoTime();
        checkSameMajor(target, primary);
        PgOptions o = target.options();
        target.prepareEmptyDataDir();
        target.user().checkCanReach(o.dataDir());
        Slots.ensure(primary, o.slotName());
        target.run(List.of(basebackup.toString(), "-d", primary.connString(o.siteName(), target.passfile()), "-D", o.dataDir().toString(),
                "-X", "stream", "-c", "fast", "-S", o.slotName(), "-w"), "pg_basebackup from " + primary.host());
        return finish(target, primary, Method.PG_BASEBACKUP, t0, -1);
    }

    /** Clones through the backup API, streaming the primary's directory through an in-process pipe. */
    public static Result withBackupApi(PgServer target, Upstream primary, Path primaryDataDir) {
        long t0 = System.nanoTime();
        checkSameMajor(target, primary);
        target.prepareEmptyDataDir();
        target.user().checkCanReach(target.options().dataDir());
        AtomicReference<Throwable> sendError = new AtomicReference<>();
        long bytes;
        try (PipedInputStream in = new PipedInputStream(1 << 20)) {
            PipedOutputStream out = new PipedOutputStream(in);
            Thread sender = Thread.ofVirtual().name("clone-send-" + target.options().siteName()).start(() -> {
                try (out) {
                    sendBackup(primary, primaryDataDir, target.options().slotName(), out);
                } catch (Throwable t) {
                    sendError.set(t);
                }
            });
            try {
                bytes = receiveBackup(in, target);
            } catch (RuntimeException e) {
                in.close(); // unblocks the sender, which then stops the backup on the primary
                sender.join();
                throw sendError.get() != null ? asPgException(sendError.get()) : e;
            }
            sender.join();
        } catch (IOException e) {
            throw new PgException("clone of " + target.options().siteName() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgException("clone interrupted", e);
        }
        if (sendError.get() != null) {
            throw asPgException(sendError.get());
        }
        return finish(target, primary, Method.BACKUP_API, t0, bytes);
    }

    /**
     * Refuses, before anything of the target is touched, to clone a primary whose major version is not the target's:
     * PostgreSQL cannot stream between major versions, and all sites of a cluster run one.
     */
    public static void checkSameMajor(PgServer target, Upstream primary) {
        int theirs;
        try (Connection c = PgServer.connect(primary, 5); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int / 10000")) {
            rs.next();
            theirs = rs.getInt(1);
        } catch (SQLException e) {
            throw new PgException("cannot read the PostgreSQL version of the primary " + primary.host() + ":" + primary.port()
                    + " before cloning it: " + e.getMessage(), e);
        }
        int ours = target.binaries().major();
        if (theirs != ours) {
            throw new PgException("the primary " + primary.host() + ":" + primary.port() + " runs PostgreSQL " + theirs + ", but "
                    + target.options().siteName() + " has " + target.binaries().describe()
                    + ": every site must run one major version. Point postgres.bin at PostgreSQL " + theirs
                    + "'s bin folder on this host (or set it to the same value at every site, e.g. `embedded`); nothing was changed here");
        }
    }

    /**
     * The primary's side: takes the slot {@code slot}, starts a backup, streams {@code primaryDataDir},
     * stops the backup and appends its label as backup_label. Returns the stop LSN.
     */
    public static Lsn sendBackup(Upstream primary, Path primaryDataDir, String slot, OutputStream out) {
        try (Connection c = PgServer.connect(primary, 5); Statement s = c.createStatement()) {
            Slots.ensure(c, slot);
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_backup_start(?, true)")) {
                ps.setString(1, "tandem clone for " + slot);
                ps.execute();
            }
            DataDirStream.Writer w = new DataDirStream.Writer(out);
            try {
                w.tree(primaryDataDir);
            } catch (IOException | RuntimeException e) {
                s.execute("SELECT pg_backup_stop(false)"); // leave no backup running on the primary
                throw e;
            }
            try (ResultSet rs = s.executeQuery("SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(false)")) {
                rs.next();
                w.file("backup_label", rs.getString(2).getBytes(StandardCharsets.UTF_8));
                String spcmap = rs.getString(3);
                if (spcmap != null && !spcmap.isEmpty()) {
                    w.file("tablespace_map", spcmap.getBytes(StandardCharsets.UTF_8));
                }
                w.finish();
                return Lsn.parse(rs.getString(1));
            }
        } catch (SQLException | IOException e) {
            throw new PgException("backup of " + primary.host() + ":" + primary.port() + " from " + primaryDataDir
                    + " failed: " + e.getMessage() + ". Is the primary up, and is this its data directory?", e);
        }
    }

    /**
     * The standby's side: fills the (empty) data directory of {@code target} from the stream. When the stream breaks off
     * (the primary fenced or stopped mid-copy), what was received is removed again: it was empty before, so all of it
     * is this copy's, and a half copy left there (files not yet handed to the PostgreSQL user, no end of stream) would
     * neither start nor let the next attempt clone into it.
     */
    public static long receiveBackup(InputStream in, PgServer target) {
        Path dir = target.options().dataDir();
        target.prepareEmptyDataDir();
        try {
            long bytes = DataDirStream.read(in, dir);
            target.user().own(dir);
            return bytes;
        } catch (IOException | RuntimeException e) {
            String removed = emptyQuietly(dir) ? "the partial copy was removed, so the next attempt clones again"
                    : "the partial copy could not all be removed: empty " + dir + " and clone again";
            throw new PgException("receiving the clone into " + dir + " failed: " + e.getMessage() + "; " + removed, e);
        }
    }

    /** Deletes everything below {@code dir}, keeping {@code dir}; false if something could not be deleted. */
    private static boolean emptyQuietly(Path dir) {
        try (var children = java.nio.file.Files.list(dir)) {
            for (Path child : children.toList()) {
                EmbeddedBinaries.deleteTree(child);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("event=pg_clone_cleanup_failed dir={} error=\"{}\"", dir, e.getMessage());
            return false;
        }
    }

    private static Result finish(PgServer target, Upstream primary, Method method, long t0, long bytes) {
        target.configureStandby(primary);
        target.start();
        Duration took = PgServer.since(t0);
        log.info("event=pg_cloned site={} from={}:{} method={} bytes={} ms={}", target.options().siteName(),
                primary.host(), primary.port(), method, bytes, took.toMillis());
        return new Result(method, took, bytes);
    }

    private static PgException asPgException(Throwable t) {
        return t instanceof PgException p ? p : new PgException("clone failed: " + t, t);
    }
}
