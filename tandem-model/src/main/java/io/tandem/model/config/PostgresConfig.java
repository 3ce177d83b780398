package io.tandem.model.config;

/**
 * How every site runs PostgreSQL: the superuser's password file (null: none, trust), the client networks allowed,
 * where the binaries are (a folder, `system`, `embedded`, or "" = search:
 * PG_BIN, the system's, then the embedded ones), the system user it runs as when the agent is root, and the superuser initdb creates.
 */
public record PostgresConfig(String bin, String runAs, String superuser, DataSize maxSlotWalKeepSize, java.nio.file.Path passwordFile,
                             java.util.List<String> clients) {
    /** Applications and gateways on this host only. */
    public static final java.util.List<String> DEFAULT_CLIENTS = java.util.List.of("127.0.0.0/8");

    public PostgresConfig {
        clients = java.util.List.copyOf(clients);
    }

    public static PostgresConfig defaults() {
        return new PostgresConfig(ConfigKeys.PG_BIN.defaultValue(), ConfigKeys.PG_RUN_AS.defaultValue(), ConfigKeys.PG_SUPERUSER.defaultValue(),
                ConfigKeys.PG_MAX_SLOT_WAL.defaultValue(), null, DEFAULT_CLIENTS);
    }

    /**
     * wal_keep_size: 256MB (what pg_rewind and a briefly absent standby need), but never more than the slot bound, which
     * PostgreSQL would otherwise exceed (it keeps the larger of the two).
     */
    public String walKeepSizeSetting() {
        long b = 256L << 20;
        if (maxSlotWalKeepSize.bytes() > 0) b = Math.min(b, maxSlotWalKeepSize.bytes());
        return Math.max(1, b / 1024) + "kB";
    }

    /** The PostgreSQL setting: "-1" for no bound, else the size in kB. */
    public String maxSlotWalKeepSizeSetting() {
        return maxSlotWalKeepSize.bytes() == 0 ? "-1" : Math.max(1, maxSlotWalKeepSize.bytes() / 1024) + "kB";
    }
}
