package io.tandem.bench;

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
 * The benchmark's client: one connection, autocommit, one INSERT of an increasing id per transaction, as
 * fast as it can, through one fixed address (the gateway's: the normal client path). It records every
 * acknowledged id with the time of its acknowledgement and every failed attempt; on an error it drops the
 * connection, sleeps 10 ms and reconnects, as the Patroni peer's write loop does. Bounded: it stops when
 * closed or after {@code maxMillis}.
 */
final class BenchWriter implements AutoCloseable {
    static final String TABLE = "bench_acked";

    record Ack(long id, long atNanos) {}

    private final String url;
    private final String user;
    private final long maxMillis;
    private final long firstId;
    private final ConcurrentLinkedQueue<Ack> acked = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> failedAt = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;
    private volatile String lastError = "";

    BenchWriter(String url, String user, long firstId, long maxMillis) {
        this.url = url;
        this.user = user;
        this.firstId = firstId;
        this.maxMillis = maxMillis;
        this.thread = new Thread(this::run, "bench-writer");
        thread.setDaemon(true);
    }

    static void createTable(String url, String user) throws SQLException {
        try (Connection c = connect(url, user); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (id bigint PRIMARY KEY, at timestamptz DEFAULT now())");
        }
    }

    static Connection connect(String url, String user) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("connectTimeout", "2");
        p.setProperty("socketTimeout", "10");
        p.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(url, p);
    }

    /** Ids in [from, to] present on the server at {@code url}. */
    static Set<Long> idsOn(String url, String user, long from, long to) throws SQLException {
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

    BenchWriter start() {
        thread.start();
        return this;
    }

    private void run() {
        long end = System.nanoTime() + maxMillis * 1_000_000L;
        long next = firstId;
        while (!stop.get() && System.nanoTime() < end) {
            try (Connection c = connect(url, user);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (id) VALUES (?) ON CONFLICT DO NOTHING")) {
                while (!stop.get() && System.nanoTime() < end) {
                    ps.setLong(1, next);
                    ps.executeUpdate();
                    acked.add(new Ack(next, System.nanoTime()));
                    next++;
                }
            } catch (SQLException | RuntimeException e) {
                // not acknowledged (it may still have committed): retried with the same id, which ON CONFLICT absorbs
                failedAt.add(System.nanoTime());
                lastError = String.valueOf(e.getMessage());
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    List<Ack> acked() {
        return List.copyOf(acked);
    }

    long ackedSince(long nanos) {
        return acked.stream().filter(a -> a.atNanos() >= nanos).count();
    }

    long failuresSince(long nanos) {
        return failedAt.stream().filter(t -> t >= nanos).count();
    }

    String lastError() {
        return lastError;
    }

    /**
     * Milliseconds from {@code fromNanos} to the acknowledgement that ends the longest pause after it: the
     * recovery time of a fault injected then (a commit in flight at the fault may still be acknowledged just after it).
     */
    long recoveryMillisAfter(long fromNanos) {
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
    long longestPauseMillisAfter(long fromNanos) {
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
    List<Long> missingFrom(Set<Long> present) {
        return acked.stream().map(Ack::id).filter(id -> !present.contains(id)).toList();
    }

    long lastId() {
        return acked.stream().mapToLong(Ack::id).max().orElse(firstId);
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join(15_000);
    }
}
