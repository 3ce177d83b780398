package io.tandem.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a diverged former primary back as a standby of the new primary: with pg_rewind of the
 * same major version when present, else (or if the rewind fails) by re-cloning. A re-clone first
 * moves the old data directory aside to {@code <dataDir>.diverged-<timestamp>}: it may hold
 * commits nobody else has, so it is never deleted here; the operator decides.
 */
public final class Rejoiner {
    public enum Method { PG_REWIND, RECLONE }

    /** How the rejoin went; {@code keptAside} holds the moved data directory after a re-clone. */
    public record Result(Method method, Duration took, List<Path> keptAside) {
        public Result {
            keptAside = List.copyOf(keptAside);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(Rejoiner.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private Rejoiner() {}

    /**
     * @param newPrimaryDataDir the new primary's data directory on this machine, used only if a
     *                          re-clone through the backup API is needed
     */
    public static Result rejoin(PgServer old, Upstream newPrimary, Path newPrimaryDataDir) {
        long t0 = System.nanoTime();
        old.stop(StopMode.FAST);
        if (tryRewind(old, newPrimary)) {
            old.start();
            Duration took = PgServer.since(t0);
            log.info("event=pg_rejoined site={} method=PG_REWIND ms={}", old.options().siteName(), took.toMillis());
            return new Result(Method.PG_REWIND, took, List.of());
        }
        Path aside = moveAside(old.options().dataDir(), "diverged", "may hold commits the new primary lacks; delete it when you are sure");
        Cloner.clone(old, newPrimary, newPrimaryDataDir);
        Duration took = PgServer.since(t0);
        log.info("event=pg_rejoined site={} method=RECLONE kept_aside={} ms={}", old.options().siteName(), aside, took.toMillis());
        return new Result(Method.RECLONE, took, List.of(aside));
    }

    /**
     * Rewinds the stopped former primary {@code old} onto the new primary's timeline and configures it as its standby
     * (not started). False, with the server stopped, when there is no pg_rewind of its major version or the rewind
     * failed (logged): the caller re-clones then.
     */
    public static boolean tryRewind(PgServer old, Upstream newPrimary) {
        Optional<Path> rewind = old.binaries().tool("pg_rewind");
        if (rewind.isEmpty()) return false;
        try {
            rewind(old, rewind.get(), newPrimary);
            return true;
        } catch (PgException e) {
            log.warn("event=pg_rewind_failed site={} fallback=reclone error=\"{}\"", old.options().siteName(), e.getMessage().replace('\n', ' '));
            old.stop(StopMode.IMMEDIATE);
            return false;
        }
    }

    private static void rewind(PgServer old, Path pgRewind, Upstream newPrimary) {
        PgOptions o = old.options();
        // without a checkpoint after promotion pg_rewind sees the old timeline and says "no rewind required"
        try (Connection c = PgServer.connect(newPrimary, 5); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
            Slots.ensure(c, o.slotName());
        } catch (SQLException e) {
            throw new PgException("cannot prepare the rewind on the new primary " + newPrimary.host() + ":"
                    + newPrimary.port() + ": " + e.getMessage(), e);
        }
        try {
            // pg_rewind may run crash recovery in single-user mode, which refuses standby mode
            Files.deleteIfExists(o.dataDir().resolve("standby.signal"));
        } catch (IOException e) {
            throw new PgException("cannot remove standby.signal before pg_rewind in " + o.dataDir() + ": " + e.getMessage(), e);
        }
        String out = old.run(List.of(pgRewind.toString(), "--target-pgdata=" + o.dataDir(),
                "--source-server=" + newPrimary.connString(o.siteName(), old.passfile())), "pg_rewind of " + o.siteName());
        log.info("event=pg_rewind site={} output=\"{}\"", o.siteName(), Cmd.tail(out, 3).replace('\n', ' '));
        old.configureStandby(newPrimary);
    }

    /**
     * Renames the data directory aside to {@code <dataDir>.<kind>-<timestamp>} (never deleted here) and logs why it is
     * kept; returns the new path.
     */
    public static Path moveAside(Path dataDir, String kind, String note) {
        Path aside = dataDir.resolveSibling(dataDir.getFileName() + "." + kind + "-" + LocalDateTime.now().format(STAMP));
        try {
            Files.move(dataDir, aside);
            log.warn("event=pg_data_kept_aside dir={} note=\"{}\"", aside, note);
            return aside;
        } catch (IOException e) {
            throw new PgException("could not move the " + kind + " data directory " + dataDir + " aside to " + aside
                    + ": " + e.getMessage() + ". Move it yourself and start the agent again", e);
        }
    }
}
