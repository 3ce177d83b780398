package io.tandem.postgres;

import java.nio.file.Path;

/**
 * The server a standby streams from (or a clone is taken from). {@code passwordFile} (null: none, the server trusts
 * the sites' addresses) holds the superuser's password; only its path is ever printed.
 */
public record Upstream(String host, int port, String user, Path passwordFile) {
    public Upstream(String host, int port, String user) {
        this(host, port, user, null);
    }

    /**
     * primary_conninfo for a standby identified by {@code applicationName}; {@code passfile} (null: none) is the
     * standby's own pgpass file, read by libpq as the PostgreSQL user, so the password is never in a setting.
     */
    public String conninfo(String applicationName, Path passfile) {
        return "host=" + quote(host) + " port=" + port + " user=" + quote(user) + " application_name="
                + quote(applicationName) + " connect_timeout=2 keepalives_idle=5 keepalives_interval=1 keepalives_count=3"
                + (passfile == null ? "" : " passfile=" + quote(passfile.toString()));
    }

    /** A libpq connection string to the postgres database, for pg_rewind and pg_basebackup. */
    public String connString(String applicationName, Path passfile) {
        return conninfo(applicationName, passfile) + " dbname=postgres";
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/postgres";
    }

    private static String quote(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
