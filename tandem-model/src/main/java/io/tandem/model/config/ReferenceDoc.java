package io.tandem.model.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates docs/configuration.md from {@link ConfigKeys#ALL}, so the reference cannot drift from the
 * keys the loader reads. {@code ReferenceDocTest} fails when the checked-in file differs.
 */
public final class ReferenceDoc {
    /** The command that rewrites docs/configuration.md, run from the repository root. */
    public static final String REGENERATE = "./mvnw -q -pl tandem-model install -Dtandem.docs.write=true";

    private ReferenceDoc() {}

    /** A group of keys: the part of the path before the last '.', with a heading and an introduction. */
    private record Group(String title, String intro) {}

    private static final Map<String, Group> GROUPS = new LinkedHashMap<>();

    static {
        GROUPS.put("", new Group("Top level", "Keys written at the left margin of the file."));
        GROUPS.put("sites[]", new Group("`sites` — one entry per site",
                "A list; declare at least one site, usually two. Each item is a mapping with these keys."));
        GROUPS.put("witness", new Group("`witness` — the third vote",
                "Optional, but without it two sites cannot fail over automatically. "
                        + "When the section is present, its keys marked (required) must be given."));
        GROUPS.put("resources[]", new Group("`resources` — what is replicated",
                "A list; each item is one replicated resource with these keys."));
        GROUPS.put("postgres", new Group("`postgres` — how every site runs PostgreSQL",
                "Optional; every key has a default. Used by resources of kind `postgres`."));
        GROUPS.put("timing", new Group("`timing` — failure detection and fencing",
                "Optional; every key has a default. See the rules below for how the values must relate."));
        GROUPS.put("users[]", new Group("`users` — who may use the API",
                "A list; each item is one API user with these keys."));
        GROUPS.put("gateway", new Group("`gateway` — the HTTP and TCP proxy clients connect to",
                "Optional; every key has a default. The gateway follows the cluster state by long-polling the agents' "
                        + "`GET /v1/cluster` (answered as soon as the state changes) and sends each request to the site that serves its route."));
        GROUPS.put("gateway.tls", new Group("`gateway.tls` — HTTPS ended at the gateway",
                "Optional; present, it adds an HTTPS listener with the same routes as `http_port` (upstreams are told "
                        + "`X-Forwarded-Proto: https`; they are reached over plain HTTP unless their service has `upstream_tls`). The files are checked when the config loads; the key and certificate must match."));
        GROUPS.put("gateway.services[]", new Group("`gateway.services` — what the gateway proxies to",
                "A list; each item is one service with its upstream instances."));
        GROUPS.put("gateway.services[].health_check", new Group("`gateway.services[].health_check` — active checks of each instance",
                "Optional; present, it turns the checks on (every key has a default). An instance that failed `fall` checks in a row "
                        + "gets no request until it passes `rise` in a row; with every instance down, the service answers 503."));
        GROUPS.put("gateway.services[].upstream_tls", new Group("`gateway.services[].upstream_tls` — HTTPS to the instances",
                "Optional; present, the gateway speaks HTTPS to every instance of the service (health checks too) and refuses an instance "
                        + "whose certificate does not chain to `ca_file` or does not carry the expected name: the client gets 502, nothing is sent. "
                        + "With `cert_file` and `key_file` it presents that client certificate to instances that require one (mutual TLS), "
                        + "and takes a renewed pair without a restart. TCP listeners relay bytes as they are (PostgreSQL does its own TLS)."));
        GROUPS.put("gateway.services[].instances[]", new Group("`gateway.services[].instances` — where a service runs",
                "A list under each service; one item per upstream instance."));
        GROUPS.put("gateway.routes[]", new Group("`gateway.routes` — which HTTP requests go to which service",
                "A list; a request takes the route with an exact host before `*`, then the longest `path_prefix`. "
                        + "A request no route matches gets 404."));
        GROUPS.put("gateway.tcp_listeners[]", new Group("`gateway.tcp_listeners` — TCP ports relayed to a service",
                "A list; each new connection goes to the instance the service's routing picks at that moment "
                        + "(for an active-passive service: the primary site's), and is closed when that primary changes."));
    }

    public static String markdown() {
        for (ConfigKey<?> k : ConfigKeys.ALL) {
            if (!GROUPS.containsKey(group(k))) {
                throw new IllegalStateException("key '" + k.path() + "' belongs to no section of the reference; add its section to ReferenceDoc.GROUPS");
            }
        }
        StringBuilder md = new StringBuilder();
        md.append("<!-- Generated from io.tandem.model.config.ConfigKeys by ReferenceDoc; do not edit by hand. -->\n");
        md.append("<!-- To regenerate, from the repository root: ").append(REGENERATE).append(" -->\n");
        md.append("<!-- (the system property makes ReferenceDocTest write this file instead of comparing it). -->\n\n");
        md.append("# Configuration reference: tandem.yaml\n\n");
        md.append("One file describes the whole cluster; every site, the witness and the gateway read the same file. ")
                .append("A commented example is [examples/two-sites.yaml](../examples/two-sites.yaml).\n\n");
        md.append("When the file is loaded, every problem is reported at once, each with `file:line:column`, ")
                .append("what is wrong and what to do. Unknown keys are refused (with a \"did you mean\" hint) ")
                .append("rather than ignored, and so are duplicate keys. Configuration is frozen once a process has started.\n\n");
        md.append("Value formats: durations are written `250ms`, `1.5s`, `2m` or `1h`; sizes `512kB`, `16MB`, `1GB` ")
                .append("(binary multiples: 1kB = 1024 bytes); names use lower-case letters, digits and `-`, starting with a letter.\n");
        for (Map.Entry<String, Group> g : GROUPS.entrySet()) {
            List<ConfigKey<?>> keys = ConfigKeys.ALL.stream().filter(k -> group(k).equals(g.getKey())).toList();
            md.append("\n## ").append(g.getValue().title()).append("\n\n").append(g.getValue().intro()).append("\n\n");
            md.append("| Key | Type | Default | Meaning |\n|---|---|---|---|\n");
            for (ConfigKey<?> k : keys) {
                md.append("| `").append(k.name()).append("` | ").append(cell(k.type().description()))
                        .append(" | ").append(defaultCell(k)).append(" | ").append(cell(k.meaning())).append(" |\n");
            }
        }
        md.append("\n## Rules across keys\n\n");
        md.append("Checked when the file is loaded; a file that breaks one is refused.\n\n");
        for (String rule : rules()) {
            md.append("- ").append(rule).append("\n");
        }
        md.append("\nWarnings do not stop a load; they are shown to the operator:\n\n");
        md.append("- Two sites and no witness: only two Raft members, so losing either one stops all decisions and ")
                .append("only **manual** failover is possible. Add a `witness` in a third location for automatic failover.\n");
        md.append("- An even number of Raft members (sites plus witness) tolerates no more failures than one fewer; ")
                .append("make the count odd.\n");
        return md.toString();
    }

    private static List<String> rules() {
        return List.of(
                "`timing.fence_after` < `timing.fail_after`: a primary cut off from the quorum must fence itself "
                        + "before another site can be declared failed and promoted (defaults "
                        + Durations.format(ConfigKeys.FENCE_AFTER.defaultValue()) + " < " + Durations.format(ConfigKeys.FAIL_AFTER.defaultValue()) + ").",
                "`timing.heartbeat` ≤ `timing.fence_after` / 2, so one lost heartbeat never fences a healthy primary; "
                        + "and `heartbeat` ≥ " + Durations.format(ConfigLoader.MIN_HEARTBEAT) + ".",
                "`timing.copy_fail_after` ≥ `timing.fail_after` when set (0, the default, means 4 x `fail_after`): a crashed primary "
                        + "PostgreSQL is restarted in place first.",
                "`timing.election_timeout_min` < `timing.election_timeout_max`, and `election_timeout_min` ≥ "
                        + Durations.format(ConfigLoader.MIN_ELECTION_TIMEOUT) + " (shorter timeouts were measured to cause election storms).",
                "Names are unique: no two sites (or a site and the witness) share a name, nor do two resources or two users.",
                "Ports are unique per address: no `raft_port` or `api_port` is used twice on the same `address`, "
                        + "counting the sites and the witness.",
                "At least one site has `primary_eligible: true`.",
                "Every name in a resource's `sites` list is a declared site (not the witness), and the list is not empty.",
                "Gateway: every route and TCP listener names a declared service; an active-passive service names a declared "
                        + "`resource` and an active-active one names none; every instance's `site` is a declared site that holds a copy "
                        + "of the service's resource, with at most one instance per site for active-passive; every service has an instance; "
                        + "instance weights are 1-100; a `host` and `path_prefix` pair is routed once.",
                "Gateway ports: `http_port`, `admin_port` and the TCP listeners' ports differ, and none is a site's or the "
                        + "witness's port on the same address (or on a loopback address when `listen_address` is 0.0.0.0 or ::).",
                "Rules across keys are checked only once every value they compare has been read correctly; a value "
                        + "that does not parse is reported on its own.");
    }

    private static String group(ConfigKey<?> k) {
        int dot = k.path().lastIndexOf('.');
        return dot < 0 ? "" : k.path().substring(0, dot);
    }

    private static String defaultCell(ConfigKey<?> k) {
        String text = k.defaultText();
        // "(required)" and "(all sites)" are explanations, not values to copy into the file.
        return text.startsWith("(") ? cell(text) : "`" + cell(text) + "`";
    }

    /**
     * Markdown table cells end at '|', so enum choices like sync|async must be escaped; '[' and '*' would
     * otherwise start links and emphasis in patterns like [a-z][a-z0-9-]*.
     */
    private static String cell(String text) {
        return text.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]").replace("*", "\\*");
    }
}
