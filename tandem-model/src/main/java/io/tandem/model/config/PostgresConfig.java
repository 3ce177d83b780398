package io.tandem.model.config;

/**
 * How every site runs PostgreSQL: where the binaries are ("" = search: PG_BIN, the system's, then the
 * embedded ones), the system user it runs as when the agent is root, and the superuser initdb creates.
 */
public record PostgresConfig(String bin, String runAs, String superuser) {
    public static PostgresConfig defaults() {
        return new PostgresConfig(ConfigKeys.PG_BIN.defaultValue(), ConfigKeys.PG_RUN_AS.defaultValue(), ConfigKeys.PG_SUPERUSER.defaultValue());
    }
}
