package io.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.agent.Json;
import io.tandem.model.config.PeerConfig;
import io.tandem.model.config.TandemConfig;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show sites, roles, health, epochs, heartbeat ages and the Raft leader, asked of the first peer that answers.")
public final class StatusCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "tandem.yaml")
    Path config;

    @Option(names = "--json", description = "print the cluster view as JSON")
    boolean json;

    @Option(names = "--watch", description = "refresh until interrupted (Ctrl-C)")
    boolean watch;

    @Option(names = "--interval", defaultValue = "1000", paramLabel = "MS", description = "refresh interval for --watch in ms (default: ${DEFAULT-VALUE})")
    long intervalMs;

    @Spec
    CommandSpec spec;

    /** Printed under the table on every refresh when set (the demo's writer). */
    java.util.function.Supplier<String> footer;

    /**
     * Made on first use: picocli makes every subcommand's object for every command line, and a JDK HTTP client starts
     * a selector thread, which then ran in every process of ours, the gateway's too.
     */
    private HttpClient http;

    private synchronized HttpClient http() {
        if (http == null) http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        return http;
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TandemConfig cfg = Configs.load(config, err);
        if (intervalMs < 100) {
            err.println("tandem status: --interval must be at least 100 ms");
            return Main.USAGE;
        }
        do {
            List<String> tried = new ArrayList<>();
            Optional<JsonNode> view = fetch(cfg, tried);
            if (watch) {
                out.print("\033[H\033[2J");
                out.println("tandem status  " + LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "   (Ctrl-C to stop)");
            }
            if (view.isEmpty()) {
                err.println("tandem status: no peer answered: " + String.join("; ", tried)
                        + "\n  start them with 'tandem agent --config " + config + " --site NAME' and 'tandem witness --config " + config + "'");
                if (!watch) return Main.FAILED;
            } else if (json) {
                out.println(view.get().toPrettyString());
            } else {
                out.print(table(view.get()));
            }
            if (footer != null && !json) out.println("\n" + footer.get());
            out.flush();
            if (watch) Thread.sleep(intervalMs);
        } while (watch);
        return Main.OK;
    }

    /** The leader's view from the first peer that has one; else any peer's local view. */
    Optional<JsonNode> fetch(TandemConfig cfg, List<String> tried) {
        JsonNode local = null;
        for (PeerConfig p : cfg.peers()) {
            try {
                HttpRequest req = HttpRequest.newBuilder(URI.create(p.apiUrl() + "/v1/cluster")).timeout(Duration.ofSeconds(3)).GET().build();
                HttpResponse<String> r = http().send(req, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    tried.add(p.name() + " answered HTTP " + r.statusCode());
                    continue;
                }
                JsonNode n = Json.MAPPER.readTree(r.body());
                if ("leader".equals(n.path("source").asText())) return Optional.of(n);
                if (local == null) local = n;
            } catch (Exception e) {
                tried.add(p.name() + " at " + p.apiUrl() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            } 
        }
        return Optional.ofNullable(local);
    }

    /** The human table of a cluster view (GET /v1/cluster), as `tandem status` prints it. */
    public static String table(JsonNode v) {
        StringBuilder b = new StringBuilder();
        String leader = v.path("leader").asText();
        if (v.path("version").asLong() == 0) {
            return "cluster not formed yet: " + (leader.isEmpty() ? "electing a Raft leader" : "leader " + leader + " is forming it") + "...\n";
        }
        b.append("cluster ").append(v.path("cluster").asText()).append("   raft leader: ").append(leader.isEmpty() ? "NONE (no quorum reachable)" : leader)
                .append("   view from ").append(v.path("answeredBy").asText()).append(" (").append(v.path("source").asText()).append(")\n\n");
        b.append(String.format("%-12s %-9s %-8s %-7s %s%n", "SITE", "ROLE", "HEALTH", "FENCED", "HEARTBEAT AGE"));
        for (JsonNode s : v.path("sites")) {
            long age = s.path("lastHeartbeatMs").asLong(-1);
            b.append(String.format("%-12s %-9s %-8s %-7s %s%n", s.path("name").asText(), s.path("role").asText(), s.path("health").asText(),
                    s.path("fenced").asBoolean() ? "YES" : "no", age < 0 ? "?" : age + " ms"));
        }
        b.append(String.format("%n%-12s %-12s %-6s %-22s %s%n", "RESOURCE", "PRIMARY", "EPOCH", "PRIMARY ADDRESS", "IN SYNC"));
        for (JsonNode r : v.path("resources")) {
            List<String> sync = new ArrayList<>();
            r.path("inSync").forEach(x -> sync.add(x.asText()));
            String addr = r.path("primaryAddress").asText();
            b.append(String.format("%-12s %-12s %-6d %-22s %s%n", r.path("name").asText(), r.path("primary").asText().isEmpty() ? "-" : r.path("primary").asText(),
                    r.path("epoch").asLong(), addr.isEmpty() ? "-" : addr, String.join(",", sync)));
        }
        JsonNode ctl = v.path("controller");
        String code = ctl.path("code").asText("");
        if (!code.isEmpty() && !code.equals("STEADY")) {
            b.append("\ncontroller: ").append(ctl.path("message").asText()).append(" (").append(code.toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                    .append(", since ").append(java.time.Instant.ofEpochMilli(ctl.path("sinceMs").asLong()).atZone(java.time.ZoneId.systemDefault())
                            .toLocalTime().withNano(0)).append(")\n");
        }
        JsonNode rbs = v.path("runbooks");
        if (rbs.size() > 0) {
            JsonNode last = rbs.get(rbs.size() - 1);
            b.append("\nlast runbook: #").append(last.path("id").asLong()).append(' ').append(last.path("kind").asText()).append(' ')
                    .append(last.path("resource").asText()).append(' ').append(last.path("fromSite").asText()).append(" -> ")
                    .append(last.path("toSite").asText()).append(' ').append(last.path("status").asText().toLowerCase()).append('\n');
            for (JsonNode st : last.path("steps")) {
                b.append("  ").append(String.format("%-14s", st.path("step").asText())).append(st.path("site").asText()).append(": ")
                        .append(st.path("outcome").asText()).append('\n');
            }
        }
        return b.toString();
    }
}
