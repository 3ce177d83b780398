package io.tandem.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads role, LSNs and lag over SQL. One short connection per probe; a failure to connect is {@link PgStatus.Down}. */
public final class PgProbe {
    private PgProbe() {}

    public static PgStatus probe(Upstream server) {
        try (Connection c = PgServer.connect(server, 1, 3); Statement s = c.createStatement()) {
            s.setQueryTimeout(5);
            boolean standby;
            try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                standby = rs.getBoolean(1);
            }
            return standby ? standby(s) : primary(s);
        } catch (SQLException e) {
            return new PgStatus.Down(e.getMessage());
        }
    }

    private static PgStatus.Primary primary(Statement s) throws SQLException {
        Lsn current;
        int timeline;
        String names;
        try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text, "
                + "('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int, "
                + "current_setting('synchronous_standby_names')")) {
            rs.next();
            current = Lsn.parse(rs.getString(1));
            timeline = rs.getInt(2);
            names = rs.getString(3);
        }
        List<PgStatus.ReplicaState> standbys = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT application_name, host(client_addr), state, sent_lsn::text, "
                + "write_lsn::text, flush_lsn::text, replay_lsn::text, "
                + "coalesce(extract(epoch FROM replay_lag), 0), sync_state "
                + "FROM pg_stat_replication ORDER BY application_name")) {
            while (rs.next()) {
                standbys.add(new PgStatus.ReplicaState(rs.getString(1), rs.getString(2), rs.getString(3),
                        lsn(rs.getString(4)), lsn(rs.getString(5)), lsn(rs.getString(6)), lsn(rs.getString(7)),
                        seconds(rs.getDouble(8)), PgStatus.SyncState.of(rs.getString(9))));
            }
        }
        return new PgStatus.Primary(current, timeline, names, standbys);
    }

    /**
     * A standby that has received nothing from its primary for this long is not streaming: with wal_receiver_timeout
     * 2 s it pings the primary after 1 s of silence, so a working link answers well within it.
     */
    static final double SILENT_AFTER_SECONDS = 1.5;

    private static PgStatus.Standby standby(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, "
                + "coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0), "
                + "r.latest_end_lsn::text, r.status, r.sender_host, coalesce(r.received_tli, 0), "
                + "coalesce(extract(epoch FROM now() - r.last_msg_receipt_time), 0) "
                + "FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver r ON true")) {
            rs.next();
            Lsn receive = lsn(rs.getString(1));
            Lsn replay = lsn(rs.getString(2));
            Lsn upstream = lsn(rs.getString(4));
            // streaming, and heard from the primary lately (a silently dropped link still says "streaming" for a while)
            boolean streaming = "streaming".equals(rs.getString(5)) && rs.getDouble(8) < SILENT_AFTER_SECONDS;
            Lsn ahead = upstream.compareTo(receive) > 0 ? upstream : receive;
            long lagBytes = ahead.bytesAfter(replay);
            // the age of the last replayed commit only means lag while WAL is still outstanding
            Duration lagTime = lagBytes == 0 ? Duration.ZERO : seconds(rs.getDouble(3));
            String host = rs.getString(6);
            return new PgStatus.Standby(receive, replay, upstream, lagBytes, lagTime, streaming,
                    host == null ? "" : host, rs.getInt(7));
        }
    }

    private static Lsn lsn(String text) {
        return text == null ? Lsn.ZERO : Lsn.parse(text);
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos((long) (Math.max(0, s) * 1e9));
    }
}
