package io.tandem.cli;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A client for failover tests and benchmarks: one connection, autocommit, one INSERT of an increasing id per transaction, as
 * fast as it can, through one fixed address (the gateway's: the normal client path). It records every
 * acknowledged id with the time of its acknowledgement and every failed attempt; on an error it drops the
 * connection, sleeps 10 ms and reconnects, as the Patroni peer's write loop does. Bounded: it stops when
 * closed or after {@code maxMillis}.
 */
public final class CommitRecorder implements AutoCloseable {
    public static final String TABLE = "tandem_acked";

    public record Ack(long id, long atNanos) {}

    /** A failed attempt: when, and the client's error message. */
    public record Failure(long atNanos, String message) {}

    private final java.util.function.Supplier<String> url;
    private final PgLogin user;
    private final long maxMillis;
    private final long firstId;
    private final ConcurrentLinkedQueue<Ack> acked = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Failure> failedAt = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;
    private volatile String lastError = "";

    public CommitRecorder(String url, PgLogin user, long firstId, long maxMillis) {
        this(() -> url, user, firstId, maxMillis);
    }

    /** The URL is asked again at every reconnect, so a client can follow a primary it is told about. */
    public CommitRecorder(java.util.function.Supplier<String> url, PgLogin user, long firstId, long maxMillis) {
        this.url = url;
        this.user = user;
        this.firstId = firstId;
        this.maxMillis = maxMillis;
        this.thread = new Thread(this::run, "commit-recorder");
        thread.setDaemon(true);
    }

    public static void createTable(String url, PgLogin user) throws SQLException {
        try (Connection c = connect(url, user); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (id bigint PRIMARY KEY, at timestamptz DEFAULT now())");
        }
    }

    public static Connection connect(String url, PgLogin login) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", login.user());
        if (login.password() != null) p.setProperty("password", login.password());
        p.setProperty("connectTimeout", "2");
        p.setProperty("socketTimeout", "10");
        p.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(url, p);
    }

    /** Ids in [from, to] present on the server at {@code url}. */
    public static Set<Long> idsOn(String url, PgLogin user, long from, long to) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Connection c = connect(url, user);
             PreparedStatement ps = c.prepareStatement("SELECT id FROM " + TABLE + " WHERE id BETWEEN ? AND ?")) {
            ps.setLong(1, from);
            ps.setLong(2, to);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    public CommitRecorder start() {
        thread.start();
        return this;
    }

    private volatile long paceMillis;

    /** Waits this long after each acknowledged commit (0, the default: as fast as it can). Call before {@link #start}. */
    public CommitRecorder paced(long millis) {
        paceMillis = millis;
        return this;
    }

    private void run() {
        long end = System.nanoTime() + maxMillis * 1_000_000L;
        long next = firstId;
        while (!stop.get() && System.nanoTime() < end) {
            try (Connection c = connect(url.get(), user);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (id) VALUES (?) ON CONFLICT DO NOTHING")) {
                while (!stop.get() && System.nanoTime() < end) {
                    ps.setLong(1, next);
                    ps.executeUpdate();
                    acked.add(new Ack(next, System.nanoTime()));
                    next++;
                    if (paceMillis > 0) Thread.sleep(paceMillis);
                }
            } catch (InterruptedException e) {
                return;
            } catch (SQLException | RuntimeException e) {
                // not acknowledged (it may still have committed): retried with the same id, which ON CONFLICT absorbs
                lastError = String.valueOf(e.getMessage());
                failedAt.add(new Failure(System.nanoTime(), lastError));
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    public List<Ack> acked() {
        return List.copyOf(acked);
    }

    public long ackedSince(long nanos) {
        return acked.stream().filter(a -> a.atNanos() >= nanos).count();
    }

    /** Attempts that failed since the start. */
    public long failures() {
        return failedAt.size();
    }

    /** The first acknowledgement at or after {@code nanos}, if any. */
    public java.util.Optional<Ack> firstAckAfter(long nanos) {
        return acked.stream().filter(a -> a.atNanos() >= nanos).findFirst();
    }

    public long failuresSince(long nanos) {
        return failedAt.stream().filter(f -> f.atNanos() >= nanos).count();
    }

    /** Failed attempts since {@code nanos}, oldest first. */
    public List<Failure> failuresAfter(long nanos) {
        return failedAt.stream().filter(f -> f.atNanos() >= nanos).toList();
    }

    /** The last acknowledgement before {@code nanos}, if any. */
    public java.util.Optional<Ack> lastAckBefore(long nanos) {
        Ack last = null;
        for (Ack a : acked) {
            if (a.atNanos() < nanos) last = a;
        }
        return java.util.Optional.ofNullable(last);
    }

    /** The acknowledgement that ends the longest pause after {@code fromNanos}, and the one before it. */
    public java.util.Optional<Ack[]> longestPauseAfter(long fromNanos) {
        Ack prev = null;
        Ack[] worst = null;
        long worstGap = -1;
        for (Ack a : acked) {
            if (a.atNanos() < fromNanos) {
                prev = a;
                continue;
            }
            long gap = a.atNanos() - (prev == null ? fromNanos : Math.max(prev.atNanos(), fromNanos));
            if (gap > worstGap) {
                worstGap = gap;
                worst = new Ack[] {prev, a};
            }
            prev = a;
        }
        return java.util.Optional.ofNullable(worst);
    }

    public String lastError() {
        return lastError;
    }

    /**
     * Milliseconds from {@code fromNanos} to the acknowledgement that ends the longest pause after it: the
     * recovery time of a fault injected then (a commit in flight at the fault may still be acknowledged just after it).
     */
    public long recoveryMillisAfter(long fromNanos) {
        long prev = fromNanos;
        long worst = -1;
        long endOfWorst = fromNanos;
        for (Ack a : acked) {
            if (a.atNanos() < fromNanos) continue;
            if (a.atNanos() - prev > worst) {
                worst = a.atNanos() - prev;
                endOfWorst = a.atNanos();
            }
            prev = a.atNanos();
        }
        return (endOfWorst - fromNanos) / 1_000_000L;
    }

    /** The longest time between two acknowledgements after {@code fromNanos} (counting from it). */
    public long longestPauseMillisAfter(long fromNanos) {
        long prev = fromNanos;
        long worst = 0;
        for (Ack a : acked) {
            if (a.atNanos() < fromNanos) continue;
            worst = Math.max(worst, a.atNanos() - prev);
            prev = a.atNanos();
        }
        return worst / 1_000_000L;
    }

    /** Acknowledged ids that {@code present} lacks. */
    public List<Long> missingFrom(Set<Long> present) {
        return acked.stream().map(Ack::id).filter(id -> !present.contains(id)).toList();
    }

    public long lastId() {
        return acked.stream().mapToLong(Ack::id).max().orElse(firstId);
    }

    @Override
    public void close() {
        stop.set(true);
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
