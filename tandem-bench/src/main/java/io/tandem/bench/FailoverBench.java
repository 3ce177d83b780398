package io.tandem.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Unplanned failover and planned switchover of PostgreSQL in sync mode, Tandem and then Patroni (never both at
 * once), measured the same way: a client commits one increasing id per transaction through the system's normal
 * client path and records every acknowledgement. RTO = kill -9 of the primary site → the acknowledgement that ends
 * the longest write pause after it; RPO = acknowledged ids missing on the new primary; switchover pause = the
 * longest gap between two acknowledgements.
 */
@Command(name = "failover", mixinStandardHelpOptions = true,
        description = {"PostgreSQL failover and planned switchover in sync mode: Tandem, then Patroni; RTO, RPO, write pause.",
                "Failover = kill -9 of the primary site's agent and PostgreSQL; the client commits through the gateway (Tandem) or libpq"
                        + " multi-host (Patroni). Patroni runs from the peer's own scripts in ../shared/peers/postgres-ha (needs root; installs"
                        + " it with apt if missing); its failovers take ~25 s each plus a rejoin, so it runs --peer-runs (default 5, about"
                        + " 8 minutes), not --runs."})
final class FailoverBench implements Callable<Integer> {
    @Option(names = "--runs", defaultValue = "5", description = "Tandem failovers, and switchovers (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--scenarios", defaultValue = "all", paramLabel = "all|failover|switchover",
            description = "which of Tandem's scenarios to run (default: ${DEFAULT-VALUE}; Patroni always runs both)")
    String scenarios;

    @Option(names = "--peer", defaultValue = "patroni", paramLabel = "patroni|none", description = "patroni or none (default: ${DEFAULT-VALUE})")
    String peer;

    @Option(names = "--peer-runs", defaultValue = "5", description = "Patroni failovers, and switchovers (default: ${DEFAULT-VALUE}; each failover takes ~25 s plus a rejoin)")
    int peerRuns;

    @Option(names = "--peer-scripts", paramLabel = "DIR", description = "folder of patroni.sh (default: $TANDEM_PEER_SCRIPTS, else ../shared/peers/postgres-ha)")
    Path peerScripts;

    @Option(names = "--dir", paramLabel = "DIR", description = "working folder, kept (default: a new temporary folder, deleted afterwards)")
    Path dir;

    @Spec
    CommandSpec spec;

    private boolean keepDir; // a Tandem run failed: keep its logs

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (runs < 1 || runs > 100 || peerRuns < 1 || peerRuns > 20) {
            err.println("tandem bench failover: --runs must be between 1 and 100, --peer-runs between 1 and 20");
            return 2;
        }
        if (!List.of("all", "failover", "switchover").contains(scenarios)) {
            err.println("tandem bench failover: --scenarios must be all, failover or switchover, not '" + scenarios + "'");
            return 2;
        }
        if (!peer.equals("patroni") && !peer.equals("none")) {
            err.println("tandem bench failover: --peer must be patroni or none, not '" + peer + "'");
            return 2;
        }
        Path base = dir != null ? dir : Files.createTempDirectory("tandem-bench-failover-");
        List<String> lines = new ArrayList<>();
        Optional<Long> tandemRto;
        try {
            tandemRto = tandem(base.resolve("tandem"), lines, err);
        } finally {
            if (dir == null && !keepDir) {
                deleteTree(base);
            } else {
                err.println("tandem: logs kept in " + base.resolve("tandem").resolve("logs"));
            }
        }
        if (peer.equals("patroni")) {
            Optional<Long> patroniRto = patroni(lines, err);
            boolean both = tandemRto.isPresent() && patroniRto.isPresent() && patroniRto.get() > 0;
            double ratio = both ? (double) tandemRto.get() / patroniRto.get() : Double.NaN;
            if (both) {
                err.printf(Locale.ROOT, "targets: tandem rto p50 %d ms <= 3000 (goal 2000): %s; tandem/patroni %.3f <= 0.2: %s%n", tandemRto.get(),
                        tandemRto.get() <= 3000 ? "met" : "MISSED", ratio, ratio <= 0.2 ? "met" : "MISSED");
            }
            lines.add("ratio failover rto tandem/patroni=" + (both ? String.format(Locale.ROOT, "%.3f", ratio) : "n/a"));
        }
        lines.forEach(out::println);
        out.flush();
        return 0;
    }

    /** Runs Tandem's scenarios; adds its lines and returns its median RTO. */
    private Optional<Long> tandem(Path d, List<String> lines, PrintWriter err) throws Exception {
        List<TandemHaScenario.Failover> failovers = new ArrayList<>();
        List<TandemHaScenario.Switchover> switchovers = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Optional<String> noSwitchover = Optional.empty();
        err.println("tandem: two sites with PostgreSQL 18, witness and gateway in " + d + "; " + runs + " failovers, then switchovers");
        try (TandemHaScenario s = TandemHaScenario.start(d, err)) {
            for (int i = 1; i <= (scenarios.equals("switchover") ? 0 : runs); i++) {
                try {
                    failovers.add(s.failover(i));
                } catch (IllegalStateException | java.sql.SQLException e) {
                    errors.add("failover " + i + ": " + e.getMessage());
                    err.println("tandem: failover " + i + " FAILED: " + e.getMessage());
                    s.restartStopped();
                }
            }
            noSwitchover = scenarios.equals("failover") ? Optional.of("not asked for (--scenarios failover)") : s.switchoverUnavailable();
            if (noSwitchover.isPresent()) {
                err.println("tandem: planned switchover not available yet (" + noSwitchover.get() + ")");
            } else {
                for (int i = 1; i <= runs; i++) {
                    try {
                        switchovers.add(s.switchover(i));
                    } catch (IllegalStateException | java.sql.SQLException e) {
                        errors.add("switchover " + i + ": " + e.getMessage());
                        err.println("tandem: switchover " + i + " FAILED: " + e.getMessage());
                        s.restartStopped();
                    }
                }
            }
        } catch (Exception e) {
            errors.add(e.getMessage());
            err.println("tandem: ABORTED: " + e);
        }
        keepDir = !errors.isEmpty();
        List<Long> rtos = failovers.stream().map(TandemHaScenario.Failover::rtoMs).toList();
        lines.add("failover tandem-sync: rto_ms=" + ControlPlaneBench.p50max(rtos) + " rpo_rows=" + joined(failovers.stream().map(f -> (long) f.lostRows()))
                + " runs=" + failovers.size() + " killed=" + failovers.stream().map(TandemHaScenario.Failover::killed).collect(Collectors.joining(","))
                + " all_rto_ms=" + joined(rtos.stream()) + (errors.isEmpty() ? "" : " errors=" + errors.size() + " (" + String.join("; ", errors) + ")"));
        if (noSwitchover.isPresent()) {
            lines.add("switchover tandem-sync: not available yet");
        } else {
            List<TandemHaScenario.Switchover> done = switchovers.stream().filter(x -> x.error().isEmpty()).toList();
            List<String> refused = switchovers.stream().filter(x -> !x.error().isEmpty()).map(TandemHaScenario.Switchover::error).toList();
            lines.add("switchover tandem-sync: pause_ms=" + ControlPlaneBench.p50max(done.stream().map(TandemHaScenario.Switchover::pauseMs).toList())
                    + " failed=" + done.stream().mapToLong(TandemHaScenario.Switchover::failed).max().orElse(0)
                    + " rpo_rows=" + joined(switchovers.stream().map(x -> (long) x.lostRows())) + " runs=" + done.size()
                    + (refused.isEmpty() ? "" : " not_completed=" + refused.size() + " (" + refused.get(0) + ")"));
        }
        return median(rtos);
    }

    /** Runs the peer's script; adds its lines and returns its median RTO. */
    private Optional<Long> patroni(List<String> lines, PrintWriter err) throws InterruptedException {
        Optional<Path> scripts = PatroniPeer.locate(peerScripts);
        PatroniPeer.Result r = scripts.isEmpty()
                ? PatroniPeer.Result.failed("patroni.sh not found (--peer-scripts, $TANDEM_PEER_SCRIPTS, ../shared/peers/postgres-ha)")
                : new PatroniPeer(scripts.get(), err).run(peerRuns, peerRuns);
        if (!r.error().isEmpty()) {
            lines.add("failover patroni-sync: not measured: " + r.error());
            lines.add("switchover patroni-sync: not measured: " + r.error());
            return Optional.empty();
        }
        err.println("patroni: " + r.line());
        List<Long> rtos = r.failovers().stream().map(PatroniPeer.Failover::rtoMs).toList();
        lines.add("failover patroni-sync: rto_ms=" + ControlPlaneBench.p50max(rtos) + " rpo_rows=" + joined(r.failovers().stream().map(f -> (long) f.lostRows()))
                + " runs=" + rtos.size() + " all_rto_ms=" + joined(rtos.stream()) + " (Patroni defaults: ttl=30 loop_wait=10)");
        lines.add("switchover patroni-sync: pause_ms=" + ControlPlaneBench.p50max(r.switchovers().stream().map(PatroniPeer.Switchover::pauseMs).toList())
                + " failed=" + r.switchovers().stream().mapToLong(PatroniPeer.Switchover::failed).max().orElse(0)
                + " rpo_rows=" + joined(r.switchovers().stream().map(x -> (long) x.lostRows())) + " runs=" + r.switchovers().size());
        return median(rtos);
    }

    private static Optional<Long> median(List<Long> xs) {
        if (xs.isEmpty()) return Optional.empty();
        return Optional.of(Long.parseLong(ControlPlaneBench.p50max(xs).split("/")[0]));
    }

    private static String joined(Stream<Long> xs) {
        String s = xs.map(String::valueOf).collect(Collectors.joining(","));
        return s.isEmpty() ? "-" : s;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> all = Files.walk(p)) {
            for (Path x : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
