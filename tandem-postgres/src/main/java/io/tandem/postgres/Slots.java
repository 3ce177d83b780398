package io.tandem.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Physical replication slots on an upstream, one per standby site. A slot taken before a clone or
 * a follow keeps the upstream from recycling WAL the standby still needs. A slot of a site gone
 * for good retains WAL without bound: the agent drops it (or caps it with max_slot_wal_keep_size).
 */
public final class Slots {
    private Slots() {}

    /**
     * Creates the slot (reserving WAL from now) unless it exists. A slot PostgreSQL gave up (wal_status 'lost', past
     * max_slot_wal_keep_size) is dropped and made afresh: it could never serve its standby again.
     */
    public static void ensure(Upstream upstream, String slot) {
        try (Connection c = PgServer.connect(upstream, 5)) {
            ensure(c, slot);
        } catch (SQLException e) {
            throw new PgException("could not create replication slot " + slot + " on " + upstream.host() + ":"
                    + upstream.port() + ": " + e.getMessage() + ". Is the upstream up and a primary?", e);
        }
    }

    static void ensure(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                + "WHERE slot_name = ? AND wal_status = 'lost' AND NOT active")) {
            ps.setString(1, slot);
            ps.execute();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT pg_create_physical_replication_slot(?, true) "
                        + "WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)")) {
            ps.setString(1, slot);
            ps.setString(2, slot);
            ps.execute();
        }
    }

    /** Drops the slot if it exists and no walsender holds it. */
    public static void drop(Upstream upstream, String slot) {
        try (Connection c = PgServer.connect(upstream, 5);
             PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) "
                     + "FROM pg_replication_slots WHERE slot_name = ? AND NOT active")) {
            ps.setString(1, slot);
            ps.execute();
        } catch (SQLException e) {
            throw new PgException("could not drop replication slot " + slot + " on " + upstream.host() + ":"
                    + upstream.port() + ": " + e.getMessage(), e);
        }
    }

    /** The slot's wal_status on the upstream (reserved, extended, unreserved, lost), or "" when it has none. */
    public static String walStatus(Upstream upstream, String slot) {
        try (Connection c = PgServer.connect(upstream, 5);
             PreparedStatement ps = c.prepareStatement("SELECT coalesce(wal_status, '') FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : "";
            }
        } catch (SQLException e) {
            throw new PgException("could not read replication slot " + slot + " on " + upstream.host() + ":" + upstream.port()
                    + ": " + e.getMessage(), e);
        }
    }

    public static boolean exists(Upstream upstream, String slot) {
        try (Connection c = PgServer.connect(upstream, 5);
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new PgException("could not list replication slots on " + upstream.host() + ":" + upstream.port()
                    + ": " + e.getMessage(), e);
        }
    }
}
