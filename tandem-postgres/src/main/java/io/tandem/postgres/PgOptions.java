package io.tandem.postgres;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the driver needs to run one site's PostgreSQL.
 *
 * @param siteName       the site; used as application_name towards the primary (so it can be named in
 *                       synchronous_standby_names) and as its replication slot name
 * @param dataDir        the data directory
 * @param listenAddress  the address the server listens on (the site's address)
 * @param port           the TCP port
 * @param superuser      the superuser created by initdb; also used for replication and probes
 * @param binaries       where the binaries come from
 * @param runAsUser      the system user PostgreSQL runs as when the agent is root
 * @param trustedCidrs   client networks allowed for normal and replication connections: trusted without a
 *                       password file, with scram-sha-256 with one
 * @param syncCommit     synchronous_commit on this server
 * @param settings       extra postgresql.conf settings; override the defaults below
 * @param startTimeout   how long start, stop and promote may take
 * @param passwordFile   the superuser's password (first line), the same at every site; null: no password
 */
public record PgOptions(String siteName, Path dataDir, String listenAddress, int port, String superuser,
                        BinariesSpec binaries, String runAsUser, List<String> trustedCidrs, SyncCommit syncCommit,
                        Map<String, String> settings, Duration startTimeout, Path passwordFile) {

    /** Replication-ready defaults: primaries and standbys share them so either can take the other role. */
    public static final Map<String, String> DEFAULT_SETTINGS = Map.ofEntries(
            Map.entry("wal_level", "replica"),
            Map.entry("max_wal_senders", "10"),
            Map.entry("max_replication_slots", "10"),
            Map.entry("wal_keep_size", "256MB"), // pg_rewind and late standbys need the WAL since the fork
            Map.entry("hot_standby", "on"),
            Map.entry("hot_standby_feedback", "on"),
            Map.entry("wal_log_hints", "on"), // pg_rewind needs it (or data checksums)
            // a standby confirms what it flushed with every batch; this bounds a missed confirmation (a synchronous
            // commit waiting on it) to 1 s instead of the default 10 s
            Map.entry("wal_receiver_status_interval", "1s"),
            // a standby that hears nothing from its primary for 1 s pings it (the primary answers at once), so on a
            // working link something arrives at least every ~1 s even with no writes; after 2 s of silence it drops the
            // connection. The probe counts a standby that heard nothing for 1.5 s as not streaming (a silent network
            // drop), so its in-sync membership follows within fail_after, not after the default 60 s.
            Map.entry("wal_receiver_timeout", "2s"),
            Map.entry("max_connections", "100"),
            // a WAL receiver that could not connect (its new primary still promoting, a slot not there yet) tries again
            // after this, not the default 5 s: a standby told to follow a new primary that missed once would otherwise stay
            // silent ~5 s, past fail_after, and leave the in-sync set the new primary's first commits should wait for
            Map.entry("wal_retrieve_retry_interval", "1s"));

    public PgOptions {
        Objects.requireNonNull(siteName, "siteName");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(listenAddress, "listenAddress");
        Objects.requireNonNull(superuser, "superuser");
        Objects.requireNonNull(binaries, "binaries");
        Objects.requireNonNull(runAsUser, "runAsUser");
        Objects.requireNonNull(syncCommit, "syncCommit");
        Objects.requireNonNull(startTimeout, "startTimeout");
        if (!siteName.matches("[A-Za-z0-9_-]{1,50}")) {
            throw new IllegalArgumentException("site name '" + siteName + "' must be 1-50 letters, digits, '_' or '-'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
        }
        trustedCidrs = List.copyOf(trustedCidrs);
        settings = Map.copyOf(settings);
        dataDir = dataDir.toAbsolutePath().normalize();
    }

    /** Defaults for a site: embedded-or-system binaries, user tandem-pg, loopback trusted, synchronous_commit=on. */
    public static PgOptions of(String siteName, Path dataDir, String listenAddress, int port) {
        return new PgOptions(siteName, dataDir, listenAddress, port, "tandem", BinariesSpec.auto(), "tandem-pg",
                List.of("127.0.0.0/8"), SyncCommit.ON, Map.of(), Duration.ofSeconds(60), null);
    }

    public PgOptions withBinaries(BinariesSpec spec) {
        return new PgOptions(siteName, dataDir, listenAddress, port, superuser, spec, runAsUser, trustedCidrs,
                syncCommit, settings, startTimeout, passwordFile);
    }

    public PgOptions withSettings(Map<String, String> extra) {
        return new PgOptions(siteName, dataDir, listenAddress, port, superuser, binaries, runAsUser, trustedCidrs,
                syncCommit, extra, startTimeout, passwordFile);
    }

    public PgOptions withSyncCommit(SyncCommit mode) {
        return new PgOptions(siteName, dataDir, listenAddress, port, superuser, binaries, runAsUser, trustedCidrs,
                mode, settings, startTimeout, passwordFile);
    }

    public PgOptions withPasswordFile(Path file) {
        return new PgOptions(siteName, dataDir, listenAddress, port, superuser, binaries, runAsUser, trustedCidrs,
                syncCommit, settings, startTimeout, file);
    }

    /** Defaults overlaid with {@link #settings()}, in a stable order. */
    public Map<String, String> effectiveSettings() {
        Map<String, String> all = new LinkedHashMap<>(new java.util.TreeMap<>(DEFAULT_SETTINGS));
        all.putAll(new java.util.TreeMap<>(settings));
        return all;
    }

    /** The replication slot this site uses on its upstream: the site name in slot-name characters. */
    public String slotName() {
        return siteName.toLowerCase(java.util.Locale.ROOT).replace('-', '_');
    }

    /** The server's log, beside the data directory so clones and rewinds never carry it along. */
    public Path logFile() {
        return dataDir.resolveSibling(dataDir.getFileName() + ".log");
    }

    /** How this site is reached as an upstream by a standby. */
    public Upstream asUpstream() {
        return new Upstream(listenAddress, port, superuser, passwordFile);
    }

    /** The pgpass file libpq reads for this site's replication and tools (beside the data directory, 0600). */
    public Path pgpassFile() {
        return dataDir.resolveSibling(dataDir.getFileName() + ".pgpass");
    }

    /** Remembers (hashed) which password was last set on this data directory. */
    Path passwordSetFile() {
        return dataDir.resolveSibling(dataDir.getFileName() + ".password-set");
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + listenAddress + ":" + port + "/postgres";
    }
}
