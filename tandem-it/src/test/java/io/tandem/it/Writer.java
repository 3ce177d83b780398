package io.tandem.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A client that commits increasing ids as fast as it can and records every id whose commit was
 * acknowledged, with the time of each acknowledgement. On any error it reconnects (to whatever URL
 * the supplier gives then) and goes on. Bounded: it stops when told or after {@code maxMillis}.
 */
final class Writer implements AutoCloseable {
    record Ack(long id, long atNanos) {}

    private final Supplier<String> url;
    private final String user;
    private final long maxMillis;
    private final ConcurrentLinkedQueue<Ack> acked = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong failures = new AtomicLong();
    private final Thread thread;

    Writer(Supplier<String> url, String user, long maxMillis) {
        this.url = url;
        this.user = user;
        this.maxMillis = maxMillis;
        this.thread = new Thread(this::run, "it-writer");
        thread.setDaemon(true);
    }

    static void createTable(String url, String user) throws SQLException {
        try (Connection c = connect(url, user); var s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS acked (id bigint PRIMARY KEY, at timestamptz DEFAULT now())");
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

    Writer start() {
        thread.start();
        return this;
    }

    private void run() {
        long end = System.nanoTime() + maxMillis * 1_000_000L;
        long next = 1;
        while (!stop.get() && System.nanoTime() < end) {
            try (Connection c = connect(url.get(), user);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO acked (id) VALUES (?) ON CONFLICT DO NOTHING")) {
                while (!stop.get() && System.nanoTime() < end) {
                    ps.setLong(1, next);
                    ps.executeUpdate();
                    acked.add(new Ack(next, System.nanoTime()));
                    next++;
                }
            } catch (SQLException | RuntimeException e) {
                failures.incrementAndGet();
                // the id may or may not have committed: it is not acknowledged, and is retried as it is
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    List<Ack> acked() {
        return List.copyOf(acked);
    }

    long failures() {
        return failures.get();
    }

    /** The first acknowledgement at or after {@code nanos}, if any. */
    java.util.Optional<Ack> firstAckAfter(long nanos) {
        return acked.stream().filter(a -> a.atNanos() >= nanos).findFirst();
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

    /** The longest time between two acknowledgements after {@code fromNanos}. */
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
