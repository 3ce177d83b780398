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
            "Make the witness the preferred Raft leader, so losing a site rarely costs an election. The leader hands it leadership once it has heard the witness steadily for 5 s (docs/control-plane.md).");

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
    public static final ConfigKey<Integer> RES_PORT = new ConfigKey<>("resources[].port", ConfigKey.PORT, 5432,
            "postgres: the port PostgreSQL listens on at every site, on the site's address.");
    public static final ConfigKey<SyncCommit> RES_SYNC_COMMIT = new ConfigKey<>("resources[].synchronous_commit", ConfigKey.enumType(SyncCommit.class), SyncCommit.ON,
            "postgres, sync mode: on (standbys flushed the commit) or remote-apply (standbys applied it, so reads there see it).");
    public static final ConfigKey<Failback> RES_FAILBACK = new ConfigKey<>("resources[].failback", ConfigKey.enumType(Failback.class), Failback.MANUAL,
            "After a failover: auto moves the primary back to the highest-priority site once it is in sync again; manual leaves it to an operator.");

    public static final ConfigKey<String> PG_BIN = new ConfigKey<>("postgres.bin", ConfigKey.STRING, "",
            "Folder with initdb, pg_ctl and postgres, or `system` (the newest /usr/lib/postgresql/N/bin) or `embedded` (PostgreSQL 18 from the jar, the same on every host, without pg_basebackup and pg_rewind); empty: PG_BIN, else the system's, else the embedded. A data directory keeps the major version that made it. Every site must run one major version: a standby refuses to clone a primary of another.");
    public static final ConfigKey<String> PG_PASSWORD_FILE = new ConfigKey<>("postgres.password_file", ConfigKey.STRING, "",
            "File whose first line is the superuser's password, the same at every site (mode 0600); relative to this file's folder. Every connection, replication included, then authenticates with scram-sha-256. Not set: PostgreSQL trusts the sites' addresses and postgres.clients without a password (fine on one host, not across hosts).");
    public static final ConfigKey<String> PG_CLIENTS = new ConfigKey<>("postgres.clients", ConfigKey.CIDR, "[127.0.0.0/8]",
            "Networks allowed to connect to PostgreSQL (applications, gateways), as a list; every site's address is allowed too, for replication.");
    public static final ConfigKey<String> PG_RUN_AS = new ConfigKey<>("postgres.run_as", ConfigKey.IDENT, "tandem-pg",
            "System user PostgreSQL runs as when the agent runs as root (created if missing); PostgreSQL refuses to run as root.");
    public static final ConfigKey<String> PG_SUPERUSER = new ConfigKey<>("postgres.superuser", ConfigKey.IDENT, "tandem",
            "Database superuser initdb creates; the agent uses it for replication and probes.");
    public static final ConfigKey<DataSize> PG_MAX_SLOT_WAL = new ConfigKey<>("postgres.max_slot_wal_keep_size", ConfigKey.SIZE, new DataSize(8L << 30),
            "WAL a primary keeps for a standby that is away (PostgreSQL max_slot_wal_keep_size); past it the standby's slot is given up and the standby re-cloned when it returns. 0: no bound (a standby gone for good can fill the disk).");

    public static final ConfigKey<Duration> HEARTBEAT = new ConfigKey<>("timing.heartbeat", ConfigKey.DURATION, Duration.ofMillis(250),
            "How often each agent heartbeats the Raft leader.");
    public static final ConfigKey<Duration> FAIL_AFTER = new ConfigKey<>("timing.fail_after", ConfigKey.DURATION, Duration.ofMillis(1500),
            "A site is declared failed by the Raft leader after this long without a heartbeat.");
    public static final ConfigKey<Duration> FENCE_AFTER = new ConfigKey<>("timing.fence_after", ConfigKey.DURATION, Duration.ofMillis(1000),
            "An agent that cannot reach a quorum this long has fenced its writable resources (it starts 100 ms earlier, at most a fifth of this, so the fence is done by then); must be less than fail_after.");
    public static final ConfigKey<Duration> ELECTION_MIN = new ConfigKey<>("timing.election_timeout_min", ConfigKey.DURATION, Duration.ofMillis(150),
            "Lower bound of the Raft election timeout.");
    public static final ConfigKey<Duration> ELECTION_MAX = new ConfigKey<>("timing.election_timeout_max", ConfigKey.DURATION, Duration.ofMillis(300),
            "Upper bound of the Raft election timeout.");

    public static final ConfigKey<Duration> FAILBACK_AFTER = new ConfigKey<>("timing.failback_after", ConfigKey.DURATION, Duration.ofSeconds(30),
            "With failback: auto, how long the preferred site must be in sync, with no failover or switchover, before the primary moves back.");

    public static final ConfigKey<Duration> COPY_FAIL_AFTER = new ConfigKey<>("timing.copy_fail_after", ConfigKey.DURATION, Duration.ZERO,
            "How long the primary's PostgreSQL may not work (down and not restartable, or not answering) while its agent is up before the agent fences it and an in-sync standby replaces it; the agent first restarts a crashed server in place (about 2-3 s), which needs no failover. 0: 4 x fail_after (6 s with the defaults); otherwise at least fail_after.");

    public static final ConfigKey<String> USER_NAME = new ConfigKey<>("users[].name", ConfigKey.IDENT, null,
            "Name of an API user, recorded in the audit log.");
    public static final ConfigKey<Role> USER_ROLE = new ConfigKey<>("users[].role", ConfigKey.enumType(Role.class), null,
            "viewer reads; operator may also switch over, fail over and drill; admin may also manage users.");
    public static final ConfigKey<String> USER_TOKEN = new ConfigKey<>("users[].token_sha256", ConfigKey.SHA256_HEX, null,
            "SHA-256 (hex) of the user's bearer token; the token itself is never stored (make one with 'tandem token').");

    /** Default of optional keys whose absence means "none"; the loader turns it into an empty value. */
    public static final String NONE = "(none)";

    public static final ConfigKey<String> GW_LISTEN_ADDRESS = new ConfigKey<>("gateway.listen_address", ConfigKey.HOSTNAME, "127.0.0.1",
            "Address the gateway's HTTP, admin and TCP listeners bind to (0.0.0.0 for every interface).");
    public static final ConfigKey<Integer> GW_HTTP_PORT = new ConfigKey<>("gateway.http_port", ConfigKey.PORT, 8080,
            "Port of the HTTP reverse proxy that clients connect to.");
    public static final ConfigKey<Integer> GW_ADMIN_PORT = new ConfigKey<>("gateway.admin_port", ConfigKey.PORT, 8081,
            "Port of the gateway's admin API: GET /v1/gateway, POST /v1/gateway/hold and /release, GET /metrics.");
    public static final ConfigKey<Duration> GW_HOLD_MAX = new ConfigKey<>("gateway.hold_max", ConfigKey.DURATION, Duration.ofSeconds(10),
            "During a hold (a switchover), how long a new request or connection may wait; after that it gets 503 with Retry-After.");
    public static final ConfigKey<Integer> GW_HOLD_QUEUE = new ConfigKey<>("gateway.hold_queue", ConfigKey.INT, 1000,
            "At most this many requests and connections wait during a hold; more get 503 with Retry-After at once.");
    public static final ConfigKey<Duration> GW_POLL_INTERVAL = new ConfigKey<>("gateway.poll_interval", ConfigKey.DURATION, Duration.ofMillis(200),
            "The gateway long-polls each agent's GET /v1/cluster (answered as soon as the state changes, else after 1 s); this is the pause before asking again after an error, or an agent that does not long-poll.");
    public static final ConfigKey<Duration> GW_POLL_TIMEOUT = new ConfigKey<>("gateway.poll_timeout", ConfigKey.DURATION, Duration.ofMillis(500),
            "How long connecting to an agent and getting an answer may take, beyond the long-poll's own 1 s wait, before the request counts as failed.");
    public static final ConfigKey<Duration> GW_CONNECT_TIMEOUT = new ConfigKey<>("gateway.connect_timeout", ConfigKey.DURATION, Duration.ofSeconds(2),
            "Timeout of a connection to an upstream instance; a failed connect is retried once on another instance.");
    public static final ConfigKey<Duration> GW_HEADER_TIMEOUT = new ConfigKey<>("gateway.header_timeout", ConfigKey.DURATION, Duration.ofSeconds(10),
            "A client must send a request's whole header within this time of its first byte, or gets 408 and is disconnected.");
    public static final ConfigKey<Duration> GW_IDLE_TIMEOUT = new ConfigKey<>("gateway.idle_timeout", ConfigKey.DURATION, Duration.ofSeconds(60),
            "A keep-alive connection (client or pooled upstream) with no request for this long is closed; so is a client that sends no byte of its request body for this long (408).");
    public static final ConfigKey<Duration> GW_TUNNEL_IDLE_TIMEOUT = new ConfigKey<>("gateway.tunnel_idle_timeout", ConfigKey.DURATION, Duration.ofHours(1),
            "An upgraded (WebSocket) connection with no byte either way for this long is closed; longer than idle_timeout, as a WebSocket may be quiet between messages (HAProxy's timeout tunnel). 0: never.");
    public static final ConfigKey<Duration> GW_UPSTREAM_TIMEOUT = new ConfigKey<>("gateway.upstream_timeout", ConfigKey.DURATION, Duration.ofSeconds(30),
            "How long an upstream may take to start its response once the request is sent; then the client gets 504.");
    public static final ConfigKey<DataSize> GW_MAX_REQUEST_LINE = new ConfigKey<>("gateway.max_request_line", ConfigKey.SIZE, new DataSize(8L << 10),
            "Longest request line (method, target, version) accepted; longer gets 414.");
    public static final ConfigKey<DataSize> GW_MAX_HEADER_SIZE = new ConfigKey<>("gateway.max_header_size", ConfigKey.SIZE, new DataSize(16L << 10),
            "Largest request header block accepted; larger gets 431.");
    public static final ConfigKey<Duration> GW_EJECT_FOR = new ConfigKey<>("gateway.eject_for", ConfigKey.DURATION, Duration.ofSeconds(5),
            "An instance that refused a connection is skipped for this long while its service has other instances.");
    public static final ConfigKey<Integer> GW_TLS_PORT = new ConfigKey<>("gateway.tls.port", ConfigKey.PORT, null,
            "HTTPS port: the same routes as http_port, with TLS ended at the gateway (required when the section is present).");
    public static final ConfigKey<String> GW_TLS_CERT = new ConfigKey<>("gateway.tls.cert_file", ConfigKey.STRING, null,
            "PEM file with the certificate chain, server certificate first; relative to this file's folder.");
    public static final ConfigKey<java.time.Duration> GW_TLS_RELOAD = new ConfigKey<>("gateway.tls.reload_check", ConfigKey.DURATION, java.time.Duration.ofSeconds(5),
            "How often the gateway looks at cert_file and key_file: a changed pair that loads serves every new connection (open ones keep theirs); one that does not load is refused and the pair in use stays. 0: never.");
    public static final ConfigKey<String> GW_TLS_CLIENT_CA = new ConfigKey<>("gateway.tls.client_ca_file", ConfigKey.STRING, "",
            "PEM file with the CAs whose client certificates the HTTPS listener requires (mutual TLS); relative to this file's folder. The upstream is told the client's subject in X-Client-Cert-Subject (a client's own header of that name is always dropped). Empty: no client certificate asked.");
    public static final ConfigKey<String> GW_TLS_KEY = new ConfigKey<>("gateway.tls.key_file", ConfigKey.STRING, null,
            "PEM file with the unencrypted PKCS#8 private key (BEGIN PRIVATE KEY; `openssl pkcs8 -topk8 -nocrypt` converts others).");
    public static final ConfigKey<Boolean> GW_IN_AGENTS = new ConfigKey<>("gateway.in_agents", ConfigKey.BOOL, false,
            "Also run the gateway inside every site's agent, on the site's own address with these ports (listen_address is then for `tandem gateway` at the edge only).");
    public static final ConfigKey<Boolean> GW_ACCESS_LOG = new ConfigKey<>("gateway.access_log", ConfigKey.BOOL, true,
            "Log one line per request (logger tandem.gateway.access).");

    public static final ConfigKey<String> SVC_NAME = new ConfigKey<>("gateway.services[].name", ConfigKey.IDENT, null,
            "Unique name of the service, named by routes and TCP listeners.");
    public static final ConfigKey<ServiceMode> SVC_MODE = new ConfigKey<>("gateway.services[].mode", ConfigKey.enumType(ServiceMode.class), ServiceMode.ACTIVE_PASSIVE,
            "active-passive: only the primary site of 'resource' serves; active-active: every healthy site serves, by weight.");
    public static final ConfigKey<String> SVC_RESOURCE = new ConfigKey<>("gateway.services[].resource", ConfigKey.IDENT, NONE,
            "The replicated resource whose primary site serves an active-passive service (required for active-passive).");
    public static final ConfigKey<Integer> SVC_EJECT_5XX = new ConfigKey<>("gateway.services[].eject_after_5xx", ConfigKey.INT, 5,
            "Consecutive 5xx answers of an instance that skip it for eject_for while its service has other instances; 0 turns this off.");
    public static final ConfigKey<String> SVC_STICKY = new ConfigKey<>("gateway.services[].sticky_cookie", ConfigKey.STRING, "",
            "Name of a cookie that keeps a client on one instance (active-active): set on the first answer, followed while that instance serves; empty: no stickiness.");
    public static final ConfigKey<HealthCheckType> HC_TYPE = new ConfigKey<>("gateway.services[].health_check.type", ConfigKey.enumType(HealthCheckType.class),
            HealthCheckType.HTTP, "http: GET path, healthy on 2xx/3xx; tcp: a connection is accepted. The section turns active checks on.");
    public static final ConfigKey<String> HC_PATH = new ConfigKey<>("gateway.services[].health_check.path", ConfigKey.STRING, "/",
            "http checks: the path asked for (with Host set to the instance's address).");
    public static final ConfigKey<Duration> HC_INTERVAL = new ConfigKey<>("gateway.services[].health_check.interval", ConfigKey.DURATION, Duration.ofSeconds(2),
            "Time between two checks of one instance.");
    public static final ConfigKey<Duration> HC_TIMEOUT = new ConfigKey<>("gateway.services[].health_check.timeout", ConfigKey.DURATION, Duration.ofSeconds(1),
            "A check not answered within this counts as failed.");
    public static final ConfigKey<Integer> HC_RISE = new ConfigKey<>("gateway.services[].health_check.rise", ConfigKey.INT, 2,
            "Consecutive passed checks that bring a down instance back.");
    public static final ConfigKey<Integer> HC_FALL = new ConfigKey<>("gateway.services[].health_check.fall", ConfigKey.INT, 3,
            "Consecutive failed checks that take an instance out of rotation.");
    public static final ConfigKey<String> UTLS_CA = new ConfigKey<>("gateway.services[].upstream_tls.ca_file", ConfigKey.STRING, "",
            "PEM file with the CA certificates the instances' certificates must chain to; relative to this file's folder. Empty: the JVM's default trust store.");
    public static final ConfigKey<String> UTLS_SERVER_NAME = new ConfigKey<>("gateway.services[].upstream_tls.server_name", ConfigKey.STRING, "",
            "The name the instances' certificates must carry, also sent as SNI; empty: each instance's own host (an IP address must then be in the certificate).");
    public static final ConfigKey<String> UTLS_CERT = new ConfigKey<>("gateway.services[].upstream_tls.cert_file", ConfigKey.STRING, "",
            "PEM certificate chain the gateway presents to instances that ask for a client certificate (mutual TLS), its own certificate first; relative to this file's folder. Needs key_file. Empty: none.");
    public static final ConfigKey<String> UTLS_KEY = new ConfigKey<>("gateway.services[].upstream_tls.key_file", ConfigKey.STRING, "",
            "The unencrypted PKCS#8 PEM key of cert_file. Needs cert_file.");
    public static final ConfigKey<java.time.Duration> UTLS_RELOAD = new ConfigKey<>("gateway.services[].upstream_tls.reload_check", ConfigKey.DURATION, java.time.Duration.ofSeconds(5),
            "How often cert_file and key_file are looked at; a renewed pair that loads is used for every new connection to the instances, one that does not is refused and the pair in use stays. 0s: never.");
    public static final ConfigKey<String> INST_SITE = new ConfigKey<>("gateway.services[].instances[].site", ConfigKey.IDENT, null,
            "The site this instance runs at.");
    public static final ConfigKey<HostPort> INST_ADDRESS = new ConfigKey<>("gateway.services[].instances[].address", ConfigKey.HOST_PORT, null,
            "Where the instance listens.");
    public static final ConfigKey<Integer> INST_WEIGHT = new ConfigKey<>("gateway.services[].instances[].weight", ConfigKey.INT, 1,
            "active-active: relative share of requests (1-100); ignored for active-passive.");

    public static final ConfigKey<String> ROUTE_HOST = new ConfigKey<>("gateway.routes[].host", ConfigKey.STRING, "*",
            "Host header to match, without port, case-insensitive; * matches any host. An exact host wins over *.");
    public static final ConfigKey<String> ROUTE_PATH_PREFIX = new ConfigKey<>("gateway.routes[].path_prefix", ConfigKey.STRING, "/",
            "Path prefix to match; the longest matching prefix wins.");
    public static final ConfigKey<String> ROUTE_SERVICE = new ConfigKey<>("gateway.routes[].service", ConfigKey.IDENT, null,
            "The service that serves matching requests.");

    public static final ConfigKey<String> TCP_NAME = new ConfigKey<>("gateway.tcp_listeners[].name", ConfigKey.IDENT, null,
            "Unique name of the TCP listener, used in metrics.");
    public static final ConfigKey<Integer> TCP_PORT = new ConfigKey<>("gateway.tcp_listeners[].port", ConfigKey.PORT, null,
            "Port on listen_address whose connections are relayed.");
    public static final ConfigKey<String> TCP_SERVICE = new ConfigKey<>("gateway.tcp_listeners[].service", ConfigKey.IDENT, null,
            "The service whose instance receives each new connection (for PostgreSQL: an active-passive service of the database resource).");

    public static final List<ConfigKey<?>> ALL = List.of(CLUSTER, DATA_DIR,
            SITE_NAME, SITE_ADDRESS, SITE_RAFT_PORT, SITE_API_PORT, SITE_ELIGIBLE, SITE_PRIORITY,
            WITNESS_NAME, WITNESS_ADDRESS, WITNESS_RAFT_PORT, WITNESS_API_PORT, WITNESS_PREFERRED,
            RES_NAME, RES_KIND, RES_MODE, RES_MAX_LAG, RES_SITES, RES_PORT, RES_SYNC_COMMIT, RES_FAILBACK,
            PG_BIN, PG_PASSWORD_FILE, PG_CLIENTS, PG_RUN_AS, PG_SUPERUSER, PG_MAX_SLOT_WAL,
            HEARTBEAT, FAIL_AFTER, FENCE_AFTER, ELECTION_MIN, ELECTION_MAX, FAILBACK_AFTER, COPY_FAIL_AFTER,
            USER_NAME, USER_ROLE, USER_TOKEN,
            GW_LISTEN_ADDRESS, GW_HTTP_PORT, GW_ADMIN_PORT, GW_HOLD_MAX, GW_HOLD_QUEUE, GW_POLL_INTERVAL, GW_POLL_TIMEOUT,
            GW_CONNECT_TIMEOUT, GW_HEADER_TIMEOUT, GW_IDLE_TIMEOUT, GW_TUNNEL_IDLE_TIMEOUT, GW_UPSTREAM_TIMEOUT, GW_MAX_REQUEST_LINE, GW_MAX_HEADER_SIZE,
            GW_EJECT_FOR, GW_ACCESS_LOG, GW_IN_AGENTS, GW_TLS_PORT, GW_TLS_CERT, GW_TLS_KEY, GW_TLS_RELOAD, GW_TLS_CLIENT_CA,
            SVC_NAME, SVC_MODE, SVC_RESOURCE, SVC_EJECT_5XX, SVC_STICKY, HC_TYPE, HC_PATH, HC_INTERVAL, HC_TIMEOUT, HC_RISE, HC_FALL, UTLS_CA, UTLS_SERVER_NAME, UTLS_CERT, UTLS_KEY, UTLS_RELOAD, INST_SITE, INST_ADDRESS, INST_WEIGHT,
            ROUTE_HOST, ROUTE_PATH_PREFIX, ROUTE_SERVICE,
            TCP_NAME, TCP_PORT, TCP_SERVICE);
}
