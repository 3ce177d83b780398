package io.tandem.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Writes the files Tandem owns in a data directory. All Tandem settings live in tandem.conf,
 * included at the end of postgresql.conf and rewritten from the site's options before every
 * start and on every settings change. A clone or a pg_rewind copies the other site's files, so
 * nothing site-specific is trusted from disk. ALTER SYSTEM (postgresql.auto.conf) would override
 * tandem.conf: do not use it for the keys below.
 */
final class PgConfig {
    static final String FILE = "tandem.conf";
    private static final String INCLUDE = "include_if_exists = '" + FILE + "'";

    private PgConfig() {}

    /** The replication state of one server: what it follows, whom it waits for, whether it is fenced. */
    record Replication(Upstream upstream, SyncStandbys syncStandbys, boolean readOnly) {
        static Replication primary(SyncStandbys sync) {
            return new Replication(null, sync, false);
        }

        static Replication standby(Upstream upstream) {
            return new Replication(upstream, SyncStandbys.none(), false);
        }

        Replication withSync(SyncStandbys sync) {
            return new Replication(upstream, sync, readOnly);
        }

        Replication withReadOnly(boolean ro) {
            return new Replication(upstream, syncStandbys, ro);
        }
    }

    static void write(PgOptions o, Replication r, PgUser user) {
        Path dir = o.dataDir();
        StringBuilder conf = new StringBuilder("# Written by Tandem before every start and settings change: edits are overwritten.\n");
        line(conf, "listen_addresses", o.listenAddress());
        line(conf, "port", Integer.toString(o.port()));
        line(conf, "unix_socket_directories", ""); // TCP only: sites sharing a host and port never clash
        for (Map.Entry<String, String> e : o.effectiveSettings().entrySet()) {
            line(conf, e.getKey(), e.getValue());
        }
        line(conf, "synchronous_commit", o.syncCommit().setting());
        line(conf, "synchronous_standby_names", r.syncStandbys().setting());
        line(conf, "primary_conninfo", r.upstream() == null ? "" : r.upstream().conninfo(o.siteName(), passfile(o, user)));
        line(conf, "primary_slot_name", r.upstream() == null ? "" : o.slotName());
        line(conf, "recovery_target_timeline", "latest");
        line(conf, "default_transaction_read_only", r.readOnly() ? "on" : "off");
        writeFile(dir.resolve(FILE), conf.toString(), user);

        StringBuilder hba = new StringBuilder("# Written by Tandem: edits are overwritten.\n");
        String method = o.passwordFile() == null ? "trust" : "scram-sha-256";
        for (String cidr : o.trustedCidrs()) {
            hba.append("host all all ").append(cidr).append(' ').append(method).append('\n');
            hba.append("host replication all ").append(cidr).append(' ').append(method).append('\n');
        }
        writeFile(dir.resolve("pg_hba.conf"), hba.toString(), user);

        Path main = dir.resolve("postgresql.conf");
        try {
            String text = Files.readString(main);
            if (!text.contains(INCLUDE)) {
                writeFile(main, text + "\n" + INCLUDE + "\n", user);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + main, e);
        }
    }

    /**
     * Writes the site's pgpass file (0600, the PostgreSQL user's) from the password file and returns its path, or
     * returns null when the site has no password. libpq (walreceiver, pg_basebackup, pg_rewind) reads the password
     * there, so it is in no setting and on no command line.
     */
    static Path passfile(PgOptions o, PgUser user) {
        if (o.passwordFile() == null) {
            return null;
        }
        Path f = o.pgpassFile();
        writeFile(f, Passwords.pgpassLine(o.superuser(), Passwords.read(o.passwordFile())), user);
        return f;
    }

    /** Marks a data directory as a standby (read by PostgreSQL at start). */
    static void markStandby(Path dataDir, PgUser user) {
        writeFile(dataDir.resolve("standby.signal"), "", user);
    }

    /**
     * Writes {@code file} atomically: a temporary file of its own (unique, so two writers never share one), created
     * 0600 from the start (it may hold a password: never readable by others, not even for a moment), then renamed.
     */
    static void writeFile(Path file, String text, PgUser user) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(file.getParent(), file.getFileName() + ".", ".tandem-tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            user.own(tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
            throw new PgException("could not write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(key).append(" = '").append(value.replace("\\", "\\\\").replace("'", "''")).append("'\n");
    }
}
