package io.tandem.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.agent.RaftAdmin;
import io.tandem.cli.LocalCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Kill -9 the primary site's agent and measure, from the Raft log, when the leader declared it failed
 * (detect) and when it promoted the other site (promote). Two scenarios: the Raft leader survives (the
 * witness leads), and the killed site held the leadership (so an election comes first).
 */
@Command(name = "control-plane", mixinStandardHelpOptions = true,
        description = "Failover timing of the control plane: kill-primary (the witness leads) and kill-leader (the primary site leads).")
final class ControlPlaneBench implements Callable<Integer> {
    @Option(names = "--runs", defaultValue = "5", description = "runs per scenario (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--dir", paramLabel = "DIR", description = "working folder (default: a new temporary folder, deleted afterwards)")
    Path dir;

    @Spec
    CommandSpec spec;

    private static final long STEADY_TIMEOUT_MS = 60_000;
    private static final long FAILOVER_TIMEOUT_MS = 30_000;

    record Run(long detectMs, long promoteMs) {}

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (runs < 1 || runs > 100) {
            err.println("tandem bench control-plane: --runs must be between 1 and 100");
            return 2;
        }
        Path base = dir != null ? dir : Files.createTempDirectory("tandem-bench-");
        try {
            List<Run> killPrimary = scenario(base.resolve("kill-primary"), true, err);
            List<Run> killLeader = scenario(base.resolve("kill-leader"), false, err);
            out.println(line("kill-primary", killPrimary));
            out.println(line("kill-leader", killLeader));
            var t = io.tandem.model.config.TimingConfig.defaults();
            long fail = t.failAfter().toMillis();
            out.println("targets (default timing): kill-primary promote p50 <= fail_after + 500 = " + (fail + 500) + " ms; "
                    + "kill-leader promote p50 <= fail_after + election_timeout_max + 500 = " + (fail + t.electionTimeoutMax().toMillis() + 500) + " ms");
            out.flush();
            return 0;
        } finally {
            if (dir == null) deleteTree(base);
        }
    }

    private List<Run> scenario(Path d, boolean witnessLeads, PrintWriter err) throws Exception {
        List<Run> results = new ArrayList<>();
        try (LocalCluster c = LocalCluster.create(d)) {
            if (!witnessLeads) {
                // The killed site must hold the leadership: no preferred leader, then hand it to the primary.
                Path f = c.configFile();
                Files.writeString(f, Files.readString(f).replace("witness:\n", "witness:\n  preferred_leader: false\n"));
            }
            c.startAll();
            for (int i = 1; i <= runs; i++) {
                JsonNode v = steady(c);
                String primary = resource(v).path("primary").asText();
                long epoch = resource(v).path("epoch").asLong();
                if (!witnessLeads) {
                    takeLeadership(c, primary);
                }
                String leader = c.leaderView().map(x -> x.path("leader").asText()).orElse("?");
                long t0 = System.currentTimeMillis();
                c.kill(primary);
                JsonNode after = awaitPromotion(c, primary, epoch);
                long failedAt = site(after, primary).path("healthSinceMs").asLong();
                long promotedAt = promoteStep(after).orElseThrow(() -> new IllegalStateException("no promote step in the last runbook"));
                Run r = new Run(failedAt - t0, promotedAt - t0);
                results.add(r);
                err.printf("  %s run %d: killed %s (leader %s) detect_ms=%d promote_ms=%d%n", witnessLeads ? "kill-primary" : "kill-leader",
                        i, primary, leader, r.detectMs(), r.promoteMs());
                err.flush();
                c.start(primary);
            }
        }
        return results;
    }

    private static JsonNode resource(JsonNode v) {
        return v.path("resources").get(0);
    }

    private static JsonNode site(JsonNode v, String name) {
        for (JsonNode s : v.path("sites")) {
            if (s.path("name").asText().equals(name)) return s;
        }
        throw new IllegalStateException("no site " + name + " in the view");
    }

    private static Optional<Long> promoteStep(JsonNode v) {
        JsonNode rbs = v.path("runbooks");
        if (rbs.isEmpty()) return Optional.empty();
        for (JsonNode st : rbs.get(rbs.size() - 1).path("steps")) {
            if (st.path("step").asText().equals("promote")) return Optional.of(st.path("atMs").asLong());
        }
        return Optional.empty();
    }

    /** Every site healthy and in sync, a primary, and no runbook running. */
    private static JsonNode steady(LocalCluster c) throws InterruptedException {
        long end = System.currentTimeMillis() + STEADY_TIMEOUT_MS;
        while (System.currentTimeMillis() < end) {
            Optional<JsonNode> v = c.leaderView();
            if (v.isPresent() && isSteady(v.get())) return v.get();
            Thread.sleep(100);
        }
        throw new IllegalStateException("the cluster did not settle within " + STEADY_TIMEOUT_MS / 1000 + " s; see " + c.logDir());
    }

    private static boolean isSteady(JsonNode v) {
        JsonNode r = resource(v);
        if (r == null || r.path("primary").asText().isEmpty() || r.path("inSync").size() < 2) return false;
        for (JsonNode s : v.path("sites")) {
            if (!s.path("health").asText().equals("healthy")) return false;
        }
        for (JsonNode rb : v.path("runbooks")) {
            if (rb.path("status").asText().equals("RUNNING")) return false;
        }
        return true;
    }

    private static void takeLeadership(LocalCluster c, String peer) throws Exception {
        long end = System.currentTimeMillis() + STEADY_TIMEOUT_MS;
        while (System.currentTimeMillis() < end) {
            if (c.leaderView().map(v -> v.path("leader").asText().equals(peer)).orElse(false)) return;
            try {
                RaftAdmin.transferLeadership(c.config(), peer, 3000);
            } catch (IOException e) {
                // the group may be mid-election; try again
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("could not make " + peer + " the Raft leader");
    }

    private static JsonNode awaitPromotion(LocalCluster c, String killed, long epoch) throws InterruptedException {
        long end = System.currentTimeMillis() + FAILOVER_TIMEOUT_MS;
        while (System.currentTimeMillis() < end) {
            Optional<JsonNode> v = c.leaderView(LocalCluster.WITNESS, killed.equals(LocalCluster.KYIV) ? LocalCluster.FRANKFURT : LocalCluster.KYIV);
            if (v.isPresent()) {
                JsonNode r = resource(v.get());
                if (!r.path("primary").asText().equals(killed) && r.path("epoch").asLong() > epoch && promoteStep(v.get()).isPresent()) {
                    return v.get();
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no promotion within " + FAILOVER_TIMEOUT_MS / 1000 + " s after killing " + killed + "; see " + c.logDir());
    }

    static String line(String scenario, List<Run> runs) {
        return "control-plane " + scenario + ": detect_ms=" + p50max(runs.stream().map(Run::detectMs).toList())
                + " promote_ms=" + p50max(runs.stream().map(Run::promoteMs).toList()) + " runs=" + runs.size();
    }

    static String p50max(List<Long> xs) {
        List<Long> s = xs.stream().sorted().toList();
        if (s.isEmpty()) return "-/-";
        long p50 = s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
        return p50 + "/" + s.get(s.size() - 1);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> all = Files.walk(p)) {
            for (Path x : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
