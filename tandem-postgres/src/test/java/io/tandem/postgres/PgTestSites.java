package io.tandem.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Test sites on their own loopback addresses with free ports, lean settings, and cleanup that
 * stops every server it created (immediate) and deletes the temporary root, even after a failure.
 */
final class PgTestSites implements AutoCloseable {
    static final String KYIV = "127.0.1.1";
    static final String FRANKFURT = "127.0.2.1";
    /** Small enough for two cores shared with other builds. */
    static final Map<String, String> LEAN = Map.of("shared_buffers", "16MB", "max_connections", "20",
            "max_wal_senders", "5", "max_replication_slots", "5", "wal_keep_size", "64MB", "min_wal_size", "32MB",
            "max_wal_size", "64MB", "autovacuum", "off", "log_min_messages", "warning");

    final Path root;
    private final List<PgServer> servers = new ArrayList<>();

    PgTestSites() throws IOException {
        root = Files.createTempDirectory("tandem-pg-test-");
        // the PostgreSQL system user must be able to reach the data directories below
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
    }

    PgServer site(String name, String address, BinariesSpec binaries) throws IOException {
        return site(name, address, binaries, null);
    }

    /** As {@link #site(String, String, BinariesSpec)}, with the superuser's password in {@code passwordFile} (null: none). */
    PgServer site(String name, String address, BinariesSpec binaries, Path passwordFile) throws IOException {
        PgOptions o = PgOptions.of(name, root.resolve(name), address, freePort(address))
                .withBinaries(binaries).withSettings(LEAN).withPasswordFile(passwordFile);
        PgServer s = PgServer.create(o);
        servers.add(s);
        return s;
    }

    /** A site whose options are first changed by {@code tweak} (e.g. another synchronous_commit). */
    PgServer siteWith(String name, String address, BinariesSpec binaries, java.util.function.UnaryOperator<PgOptions> tweak) throws IOException {
        PgServer s = PgServer.create(tweak.apply(PgOptions.of(name, root.resolve(name), address, freePort(address))
                .withBinaries(binaries).withSettings(LEAN)));
        servers.add(s);
        return s;
    }

    static BinariesSpec embedded() {
        return new BinariesSpec.Embedded(EmbeddedBinaries.defaultCacheRoot());
    }

    static int freePort(String address) throws IOException {
        return io.tandem.model.net.FreePorts.take(address);
    }

    /** initdb, start, and a table t holding the row 1. */
    static void primaryWithOneRow(PgServer s) throws SQLException {
        s.initPrimary();
        s.start();
        exec(s, "CREATE TABLE t (id bigint PRIMARY KEY)");
        exec(s, "INSERT INTO t VALUES (1)");
    }

    static void exec(PgServer s, String sql) throws SQLException {
        try (Connection c = s.connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static List<Long> ids(PgServer s, String table) throws SQLException {
        try (Connection c = s.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id FROM " + table + " ORDER BY id")) {
            List<Long> ids = new ArrayList<>();
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
            return ids;
        }
    }

    /** Like {@link #ids} but an empty list while the server is unreachable or the table is missing. */
    static List<Long> idsOrEmpty(PgServer s, String table) {
        try {
            return ids(s, table);
        } catch (SQLException e) {
            return List.of();
        }
    }

    static void timing(String what, long ms) {
        System.out.println("TIMING " + what + "_ms=" + ms);
    }

    @Override
    public void close() throws IOException {
        for (PgServer s : servers) {
            try {
                s.stop(StopMode.IMMEDIATE);
            } catch (RuntimeException e) {
                System.err.println("cleanup: could not stop " + s.options().siteName() + ": " + e.getMessage());
            }
        }
        EmbeddedBinaries.deleteTree(root);
    }
}
