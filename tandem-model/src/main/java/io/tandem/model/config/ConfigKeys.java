package io.tandem.model.config;

import java.time.Duration;
import java.util.List;

/** Every key of tandem.yaml, declared once. docs/configuration.md is generated from {@link #ALL}. */
public final class ConfigKeys {
    private ConfigKeys() {}

    public static final ConfigKey<String> CLUSTER = new ConfigKey<>("cluster", ConfigKey.IDENT, "tandem",
            "Name of the cluster; also names the Raft group.");
    public static final ConfigKey<String> DATA_DIR = new ConfigKey<>("data_dir", ConfigKey.STRING, "data",
            "Folder for each process's state (one subfolder per site or witness), relative to the config file.");

    public static final ConfigKey<String> SITE_NAME = new ConfigKey<>("sites[].name", ConfigKey.IDENT, null,
            "Unique name of the site (data center).");
    public static final ConfigKey<String> SITE_ADDRESS = new ConfigKey<>("sites[].address", ConfigKey.HOSTNAME, null,
            "Host or IP address the site's agent listens on (on one machine: 127.0.1.1, 127.0.2.1, ...).");
    public static final ConfigKey<Integer> SITE_RAFT_PORT = new ConfigKey<>("sites[].raft_port", ConfigKey.PORT, null,
            "Port of the agent's Raft (control plane) endpoint.");
    public static final ConfigKey<Integer> SITE_API_PORT = new ConfigKey<>("sites[].api_port", ConfigKey.PORT, null,
            "Port of the agent's HTTP API (/v1/cluster, /metrics).");
    public static final ConfigKey<Boolean> SITE_ELIGIBLE = new ConfigKey<>("sites[].primary_eligible", ConfigKey.BOOL, true,
            "Whether this site may become primary.");
    public static final ConfigKey<Integer> SITE_PRIORITY = new ConfigKey<>("sites[].priority", ConfigKey.INT, 100,
            "Preference when choosing a primary: higher wins among equally up-to-date candidates.");

    public static final ConfigKey<String> WITNESS_NAME = new ConfigKey<>("witness.name", ConfigKey.IDENT, "witness",
            "Name of the witness, the third vote that breaks ties between two sites.");
    public static final ConfigKey<String> WITNESS_ADDRESS = new ConfigKey<>("witness.address", ConfigKey.HOSTNAME, null,
            "Host or IP address of the witness, ideally in a third location.");
    public static final ConfigKey<Integer> WITNESS_RAFT_PORT = new ConfigKey<>("witness.raft_port", ConfigKey.PORT, null,
            "Port of the witness's Raft endpoint.");
    public static final ConfigKey<Integer> WITNESS_API_PORT = new ConfigKey<>("witness.api_port", ConfigKey.PORT, null,
            "Port of the witness's HTTP API.");
    public static final ConfigKey<Boolean> WITNESS_PREFERRED = new ConfigKey<>("witness.preferred_leader", ConfigKey.BOOL, true,
            "Make the witness the preferred Raft leader, so losing a site rarely costs an election.");

    public static final ConfigKey<String> RES_NAME = new ConfigKey<>("resources[].name", ConfigKey.IDENT, null,
            "Unique name of the replicated resource.");
    public static final ConfigKey<ResourceKind> RES_KIND = new ConfigKey<>("resources[].kind", ConfigKey.enumType(ResourceKind.class), null,
            "What the resource is; each kind has its own driver.");
    public static final ConfigKey<ReplicationMode> RES_MODE = new ConfigKey<>("resources[].mode", ConfigKey.enumType(ReplicationMode.class), ReplicationMode.SYNC,
            "sync: acknowledged only when every in-sync site has it (zero data loss); async: bounded lag.");
    public static final ConfigKey<DataSize> RES_MAX_LAG = new ConfigKey<>("resources[].max_lag_on_failover", ConfigKey.SIZE, new DataSize(16L << 20),
            "async only: a standby further behind than this is not promoted automatically.");
    public static final ConfigKey<String> RES_SITES = new ConfigKey<>("resources[].sites", ConfigKey.IDENT_LIST, "(all sites)",
            "Sites that hold a copy; all sites when absent.");

    public static final ConfigKey<Duration> HEARTBEAT = new ConfigKey<>("timing.heartbeat", ConfigKey.DURATION, Duration.ofMillis(250),
            "How often each agent heartbeats the Raft leader.");
    public static final ConfigKey<Duration> FAIL_AFTER = new ConfigKey<>("timing.fail_after", ConfigKey.DURATION, Duration.ofMillis(1500),
            "A site is declared failed by the Raft leader after this long without a heartbeat.");
    public static final ConfigKey<Duration> FENCE_AFTER = new ConfigKey<>("timing.fence_after", ConfigKey.DURATION, Duration.ofMillis(1000),
            "An agent that cannot reach a quorum this long fences its writable resources; must be less than fail_after.");
    public static final ConfigKey<Duration> ELECTION_MIN = new ConfigKey<>("timing.election_timeout_min", ConfigKey.DURATION, Duration.ofMillis(300),
            "Lower bound of the Raft election timeout.");
    public static final ConfigKey<Duration> ELECTION_MAX = new ConfigKey<>("timing.election_timeout_max", ConfigKey.DURATION, Duration.ofMillis(600),
            "Upper bound of the Raft election timeout.");

    public static final ConfigKey<String> USER_NAME = new ConfigKey<>("users[].name", ConfigKey.IDENT, null,
            "Name of an API user, recorded in the audit log.");
    public static final ConfigKey<Role> USER_ROLE = new ConfigKey<>("users[].role", ConfigKey.enumType(Role.class), null,
            "viewer reads; operator may also switch over, fail over and drill; admin may also manage users.");
    public static final ConfigKey<String> USER_TOKEN = new ConfigKey<>("users[].token_sha256", ConfigKey.SHA256_HEX, null,
            "SHA-256 (hex) of the user's bearer token; the token itself is never stored (make one with 'tandem token').");

    public static final List<ConfigKey<?>> ALL = List.of(CLUSTER, DATA_DIR,
            SITE_NAME, SITE_ADDRESS, SITE_RAFT_PORT, SITE_API_PORT, SITE_ELIGIBLE, SITE_PRIORITY,
            WITNESS_NAME, WITNESS_ADDRESS, WITNESS_RAFT_PORT, WITNESS_API_PORT, WITNESS_PREFERRED,
            RES_NAME, RES_KIND, RES_MODE, RES_MAX_LAG, RES_SITES,
            HEARTBEAT, FAIL_AFTER, FENCE_AFTER, ELECTION_MIN, ELECTION_MAX,
            USER_NAME, USER_ROLE, USER_TOKEN);
}
