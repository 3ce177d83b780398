package io.tandem.model.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Loads tandem.yaml into a {@link TandemConfig}, reporting every problem with file, line and column. */
public final class ConfigLoader {
    /** Below this, one missed heartbeat is likely to be noise on a loaded machine. */
    public static final Duration MIN_HEARTBEAT = Duration.ofMillis(10);
    /** Shorter election timeouts were measured to cause 10 s election storms. */
    public static final Duration MIN_ELECTION_TIMEOUT = Duration.ofMillis(150);

    private ConfigLoader() {}

    /** The outcome of a check: a config when there are no problems, and any warnings either way. */
    public record Result(TandemConfig config, List<ConfigProblem> problems, List<ConfigProblem> warnings) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    public static TandemConfig load(Path file) throws ConfigException {
        Result r = check(file);
        if (!r.ok()) {
            throw new ConfigException(r.problems());
        }
        return r.config();
    }

    public static Result check(Path file) {
        String name = file.toString();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return new Result(null, List.of(new ConfigProblem(new Location(name, 1, 1),
                    "cannot read the config file: " + e.getClass().getSimpleName() + " " + e.getMessage(),
                    "check the path; an example is in examples/two-sites.yaml")), List.of());
        }
        Path base = file.toAbsolutePath().getParent();
        return parse(name, text, base == null ? Path.of(".") : base);
    }

    public static Result parse(String name, String text, Path baseDir) {
        List<ConfigProblem> problems = new ArrayList<>();
        List<ConfigProblem> warnings = new ArrayList<>();
        YNode root = new YamlReader(name, problems).read(text);
        if (root == null) {
            return new Result(null, problems, warnings);
        }
        if (root instanceof YNode.Null) {
            problems.add(new ConfigProblem(root.location(), "the config file is empty", "start from examples/two-sites.yaml"));
            return new Result(null, problems, warnings);
        }
        Section top = Section.of(root, "the top level", problems).orElse(null);
        if (top == null) {
            return new Result(null, problems, warnings);
        }
        String cluster = top.get(ConfigKeys.CLUSTER);
        String dataDir = top.get(ConfigKeys.DATA_DIR);
        List<PeerConfig> peers = new ArrayList<>();
        for (Section s : top.list("sites")) {
            peers.add(new PeerConfig(s.get(ConfigKeys.SITE_NAME), PeerKind.SITE, s.get(ConfigKeys.SITE_ADDRESS),
                    orZero(s.get(ConfigKeys.SITE_RAFT_PORT)), orZero(s.get(ConfigKeys.SITE_API_PORT)),
                    s.get(ConfigKeys.SITE_ELIGIBLE), s.get(ConfigKeys.SITE_PRIORITY), s.location()));
            s.rejectUnknown();
        }
        if (peers.isEmpty()) {
            problems.add(new ConfigProblem(top.location(), "no sites are declared",
                    "add a 'sites:' list with at least two sites (see examples/two-sites.yaml)"));
        }
        top.section("witness").ifPresent(w -> {
            peers.add(new PeerConfig(w.get(ConfigKeys.WITNESS_NAME), PeerKind.WITNESS, w.get(ConfigKeys.WITNESS_ADDRESS),
                    orZero(w.get(ConfigKeys.WITNESS_RAFT_PORT)), orZero(w.get(ConfigKeys.WITNESS_API_PORT)), false,
                    Boolean.TRUE.equals(w.get(ConfigKeys.WITNESS_PREFERRED)) ? 1 : 0, w.location()));
            w.rejectUnknown();
        });
        List<String> siteNames = peers.stream().filter(p -> p.kind() == PeerKind.SITE).map(PeerConfig::name).toList();
        List<ResourceConfig> resources = new ArrayList<>();
        for (Section s : top.list("resources")) {
            String rname = s.get(ConfigKeys.RES_NAME);
            ResourceKind kind = s.get(ConfigKeys.RES_KIND);
            ReplicationMode mode = s.get(ConfigKeys.RES_MODE);
            DataSize lag = s.get(ConfigKeys.RES_MAX_LAG);
            List<String> sites = s.values(ConfigKeys.RES_SITES);
            if (sites == null) {
                sites = siteNames;
            } else if (sites.isEmpty()) {
                problems.add(new ConfigProblem(s.locationOf("sites"), "resource '" + rname + "' lists no sites",
                        "name the sites that hold a copy, or leave 'sites' out to mean all sites"));
            } else {
                for (String site : sites) {
                    if (!siteNames.contains(site)) {
                        problems.add(new ConfigProblem(s.locationOf("sites"), "resource '" + rname + "' names unknown site '" + site + "'",
                                "declared sites: " + String.join(", ", siteNames)));
                    }
                }
            }
            Integer port = s.get(ConfigKeys.RES_PORT);
            SyncCommit syncCommit = s.get(ConfigKeys.RES_SYNC_COMMIT);
            Failback failback = s.get(ConfigKeys.RES_FAILBACK);
            s.rejectUnknown();
            resources.add(new ResourceConfig(rname, kind, mode, lag, sites, port == null ? 0 : port, syncCommit, failback, s.location()));
        }
        TimingConfig timing = top.section("timing").map(t -> {
            int before = problems.size();
            TimingConfig tc = new TimingConfig(t.get(ConfigKeys.HEARTBEAT), t.get(ConfigKeys.FAIL_AFTER), t.get(ConfigKeys.FENCE_AFTER),
                    t.get(ConfigKeys.ELECTION_MIN), t.get(ConfigKeys.ELECTION_MAX), t.get(ConfigKeys.FAILBACK_AFTER),
                    t.get(ConfigKeys.COPY_FAIL_AFTER));
            // A value that did not parse stands in as its default; comparing against it would report rules the user did not break.
            if (problems.size() == before) {
                checkTiming(tc, t, problems);
            }
            t.rejectUnknown();
            return tc;
        }).orElse(TimingConfig.defaults());
        List<UserConfig> users = new ArrayList<>();
        List<Location> userLocations = new ArrayList<>();
        for (Section s : top.list("users")) {
            users.add(new UserConfig(s.get(ConfigKeys.USER_NAME), s.get(ConfigKeys.USER_ROLE), s.get(ConfigKeys.USER_TOKEN)));
            userLocations.add(s.location());
            s.rejectUnknown();
        }
        PostgresConfig postgres = top.section("postgres").map(pg -> {
            List<String> clients = pg.values(ConfigKeys.PG_CLIENTS);
            PostgresConfig pc = new PostgresConfig(pg.get(ConfigKeys.PG_BIN), pg.get(ConfigKeys.PG_RUN_AS), pg.get(ConfigKeys.PG_SUPERUSER),
                    pg.get(ConfigKeys.PG_MAX_SLOT_WAL), passwordFile(pg, baseDir, problems, warnings),
                    clients == null ? PostgresConfig.DEFAULT_CLIENTS : clients);
            pg.rejectUnknown();
            return pc;
        }).orElse(PostgresConfig.defaults());
        if (postgres.passwordFile() == null && resources.stream().anyMatch(r -> r.kind() == ResourceKind.POSTGRES)) {
            List<String> remote = new ArrayList<>(peers.stream().filter(p -> p.kind() == PeerKind.SITE && p.address() != null && !loopback(p.address()))
                    .map(p -> p.name() + " (" + p.address() + ")").toList());
            postgres.clients().stream().filter(c -> !c.startsWith("127.") && !c.equals("::1/128")).forEach(c -> remote.add("postgres.clients " + c));
            if (!remote.isEmpty()) {
                warnings.add(new ConfigProblem(top.location(), "WARNING: PostgreSQL trusts every connection from the sites' addresses and "
                        + "postgres.clients without a password, and " + String.join(", ", remote) + (remote.size() == 1 ? " is" : " are") + " not on this host's loopback",
                        "set postgres.password_file (a file holding the superuser's password, the same at every site, mode 0600)"));
            }
        }
        GatewayConfig gateway = GatewayConfigReader.read(top.section("gateway"), peers, resources, baseDir, problems);
        top.rejectUnknown();
        checkPeers(peers, top.location(), problems, warnings);
        checkUnique(resources.stream().map(ResourceConfig::name).toList(), resources.stream().map(ResourceConfig::location).toList(), "resource", problems);
        checkUnique(users.stream().map(UserConfig::name).toList(), userLocations, "user", problems);
        if (!problems.isEmpty()) {
            return new Result(null, problems, warnings);
        }
        TandemConfig config = new TandemConfig(name, cluster, baseDir.resolve(dataDir).normalize(), peers, resources, timing, users, postgres, gateway, warnings);
        return new Result(config, problems, warnings);
    }

    private static int orZero(Integer v) {
        return v == null ? 0 : v;
    }

    private static void checkTiming(TimingConfig t, Section s, List<ConfigProblem> problems) {
        if (t.fenceAfter().compareTo(t.failAfter()) >= 0) {
            problems.add(new ConfigProblem(s.locationOf("fence_after"), "fence_after (" + Durations.format(t.fenceAfter())
                    + ") must be less than fail_after (" + Durations.format(t.failAfter()) + ")",
                    "a primary must fence itself before another site can be promoted: lower fence_after or raise fail_after"));
        }
        if (t.copyFailAfter().compareTo(t.failAfter()) < 0) {
            problems.add(new ConfigProblem(s.locationOf("copy_fail_after"), "copy_fail_after (" + Durations.format(t.copyFailAfter())
                    + ") must be at least fail_after (" + Durations.format(t.failAfter()) + ")",
                    "the agent restarts a crashed PostgreSQL in place in about 2-3 s; raise copy_fail_after, or set 0 for 4 x fail_after"));
        }
        if (t.heartbeat().multipliedBy(2).compareTo(t.fenceAfter()) > 0) {
            problems.add(new ConfigProblem(s.locationOf("heartbeat"), "heartbeat (" + Durations.format(t.heartbeat())
                    + ") must be at most half of fence_after (" + Durations.format(t.fenceAfter()) + ")",
                    "otherwise one lost heartbeat fences a healthy primary; lower heartbeat"));
        }
        if (t.heartbeat().compareTo(MIN_HEARTBEAT) < 0) {
            problems.add(new ConfigProblem(s.locationOf("heartbeat"), "heartbeat below " + Durations.format(MIN_HEARTBEAT), "use 100ms or more"));
        }
        if (t.electionTimeoutMin().compareTo(t.electionTimeoutMax()) >= 0) {
            problems.add(new ConfigProblem(s.locationOf("election_timeout_min"), "election_timeout_min must be less than election_timeout_max",
                    "the defaults are " + Durations.format(ConfigKeys.ELECTION_MIN.defaultValue()) + " and " + Durations.format(ConfigKeys.ELECTION_MAX.defaultValue())));
        }
        if (t.electionTimeoutMin().compareTo(MIN_ELECTION_TIMEOUT) < 0) {
            problems.add(new ConfigProblem(s.locationOf("election_timeout_min"), "election_timeout_min below " + Durations.format(MIN_ELECTION_TIMEOUT),
                    "shorter timeouts were measured to cause 10 s election storms; keep " + Durations.format(MIN_ELECTION_TIMEOUT) + " or more"));
        }
    }

    private static void checkPeers(List<PeerConfig> peers, Location top, List<ConfigProblem> problems, List<ConfigProblem> warnings) {
        checkUnique(peers.stream().map(PeerConfig::name).toList(), peers.stream().map(PeerConfig::location).toList(), "site/witness", problems);
        Map<String, PeerConfig> endpoints = new HashMap<>();
        for (PeerConfig p : peers) {
            for (int port : new int[] {p.raftPort(), p.apiPort()}) {
                if (port == 0 || p.address() == null) continue;
                PeerConfig other = endpoints.putIfAbsent(p.address() + ":" + port, p);
                if (other != null) {
                    problems.add(new ConfigProblem(p.location(), "port " + port + " on " + p.address() + " is used twice (by '" + other.name() + "' and '" + p.name() + "')",
                            "give every raft_port and api_port on one address its own number"));
                }
            }
        }
        List<PeerConfig> sites = peers.stream().filter(p -> p.kind() == PeerKind.SITE).toList();
        if (!sites.isEmpty() && sites.stream().noneMatch(PeerConfig::primaryEligible)) {
            problems.add(new ConfigProblem(top, "no site is primary_eligible", "set 'primary_eligible: true' on at least one site"));
        }
        boolean hasWitness = peers.stream().anyMatch(PeerConfig::isWitness);
        if (peers.size() < 3) {
            warnings.add(new ConfigProblem(top, "WARNING: only " + peers.size() + " Raft member(s)" + (hasWitness ? "" : " and no witness")
                    + ": losing any one of them stops all decisions, so only MANUAL failover is possible",
                    hasWitness ? "declare at least two sites" : "add a 'witness:' in a third location to get automatic failover"));
        } else if (peers.size() % 2 == 0) {
            warnings.add(new ConfigProblem(top, "WARNING: an even number of Raft members (" + peers.size() + ") tolerates no more failures than one fewer",
                    "add or remove a witness to make the count odd"));
        }
    }

    private static boolean loopback(String address) {
        return address.startsWith("127.") || address.equals("::1") || address.equals("localhost");
    }

    /**
     * postgres.password_file: an existing, readable file with a non-empty first line (never repeated in a message);
     * a warning when others than its owner may read it.
     */
    private static Path passwordFile(Section pg, Path baseDir, List<ConfigProblem> problems, List<ConfigProblem> warnings) {
        String v = pg.get(ConfigKeys.PG_PASSWORD_FILE);
        if (v == null || v.isEmpty()) return null;
        Path p = baseDir.resolve(v).toAbsolutePath().normalize();
        Location at = pg.locationOf(ConfigKeys.PG_PASSWORD_FILE.name());
        String hint = "write the superuser's password on the first line of " + p + " at every site (chmod 600)";
        try {
            if (!Files.isRegularFile(p)) {
                problems.add(new ConfigProblem(at, "postgres.password_file " + p + " does not exist or is not a file", hint));
                return null;
            }
            String text = Files.readString(p, java.nio.charset.StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            if ((nl < 0 ? text : text.substring(0, nl)).replace("\r", "").isEmpty()) {
                problems.add(new ConfigProblem(at, "postgres.password_file " + p + " has an empty first line", hint));
                return null;
            }
            java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (perms.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
                warnings.add(new ConfigProblem(at, "WARNING: postgres.password_file " + p + " may be read by other users ("
                        + java.nio.file.attribute.PosixFilePermissions.toString(perms) + ")", "chmod 600 " + p));
            }
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            problems.add(new ConfigProblem(at, "postgres.password_file " + p + " cannot be read: " + e.getMessage(), hint));
            return null;
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to warn about
        }
        return p;
    }

    static void checkUnique(List<String> names, List<Location> where, String what, List<ConfigProblem> problems) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            if (n != null && !seen.add(n)) {
                problems.add(new ConfigProblem(where.get(i), "duplicate " + what + " name '" + n + "'", "names must be unique"));
            }
        }
    }
}
