package io.tandem.postgres;

/** The server a standby streams from (or a clone is taken from). */
public record Upstream(String host, int port, String user) {
    /** primary_conninfo for a standby identified by {@code applicationName}. */
    public String conninfo(String applicationName) {
        return "host=" + quote(host) + " port=" + port + " user=" + quote(user) + " application_name="
                + quote(applicationName) + " connect_timeout=2 keepalives_idle=5 keepalives_interval=1 keepalives_count=3";
    }

    /** A libpq connection string to the postgres database, for pg_rewind and pg_basebackup. */
    public String connString(String applicationName) {
        return conninfo(applicationName) + " dbname=postgres";
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/postgres";
    }

    private static String quote(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
