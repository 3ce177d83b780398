package io.tandem.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The demo's client: commits a row every 50 ms through the gateway (the address a real application would use) and,
 * every 2 s, counts on the current primary the rows it was told were committed, so a newcomer who kills the primary
 * site sees the writes pause, resume on the other site, and every acknowledged row still there. Bounded: it stops
 * when closed or after 24 hours.
 */
final class DemoWriter implements AutoCloseable {
    private static final long PACE_MS = 50;
    private static final long MAX_MS = 24 * 3600_000L;

    private final LocalCluster cluster;
    private final Thread thread;
    private volatile boolean stop;
    private volatile CommitRecorder recorder;
    private volatile String check = "waiting for the first primary";

    DemoWriter(LocalCluster cluster) {
        this.cluster = cluster;
        this.thread = new Thread(this::run, "demo-writer");
        thread.setDaemon(true);
    }

    DemoWriter start() {
        thread.start();
        return this;
    }

    private void run() {
        long until = System.nanoTime() + 120_000_000_000L;
        while (!stop && recorder == null) {
            try {
                CommitRecorder.createTable(cluster.gatewayJdbcUrl(), cluster.pgUser());
                recorder = new CommitRecorder(cluster.gatewayJdbcUrl(), cluster.pgUser(), 1, MAX_MS).paced(PACE_MS).start();
            } catch (Exception e) {
                check = "waiting for the first primary (" + e.getMessage() + ")";
                if (System.nanoTime() > until) {
                    check = "gave up waiting for the first primary: " + e.getMessage();
                    return;
                }
                sleep(1000);
            }
        }
        while (!stop) {
            verify();
            sleep(2000);
        }
    }

    /** Counts on the primary, through the gateway, the rows 1..last that the writer saw acknowledged. */
    private void verify() {
        List<CommitRecorder.Ack> acked = recorder.acked();
        if (acked.isEmpty()) return;
        long last = acked.get(acked.size() - 1).id(); // ids are acknowledged in order, from 1, with none skipped
        try (Connection c = CommitRecorder.connect(cluster.gatewayJdbcUrl(), cluster.pgUser());
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + CommitRecorder.TABLE + " WHERE id BETWEEN 1 AND ?")) {
            ps.setLong(1, last);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long present = rs.getLong(1);
                String at = LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss"));
                check = present == last ? "all " + last + " acknowledged rows are on the primary (checked " + at + ")"
                        : (last - present) + " OF " + last + " ACKNOWLEDGED ROWS ARE MISSING on the primary (checked " + at + ")";
            }
        } catch (Exception e) {
            check = "check pending: the primary is not reachable yet (" + e.getMessage() + ")";
        }
    }

    /** Two lines for the status screen. */
    String describe() {
        CommitRecorder r = recorder;
        if (r == null) return "demo writer: " + check;
        List<CommitRecorder.Ack> acked = r.acked();
        long sinceLast = acked.isEmpty() ? 0 : (System.nanoTime() - acked.get(acked.size() - 1).atNanos()) / 1_000_000;
        return "demo writer: " + acked.size() + " rows committed through the gateway (" + cluster.gatewayJdbcUrl() + "), last "
                + (sinceLast < 1000 ? "just now" : sinceLast + " ms ago") + "; " + r.failures() + " failed attempts retried"
                + (r.failures() > 0 ? ", longest pause " + r.longestPauseMillisAfter(acked.isEmpty() ? 0 : acked.get(0).atNanos()) + " ms" : "")
                + "\n             " + check;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop = true;
        CommitRecorder r = recorder;
        if (r != null) r.close();
        thread.interrupt();
    }
}
