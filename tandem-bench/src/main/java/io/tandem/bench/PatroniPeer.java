package io.tandem.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.agent.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Patroni's side of {@code tandem bench failover}: runs the peer's own script ({@code patroni.sh}, sync
 * configuration) from ../shared/peers/postgres-ha, after its {@code install.sh} when Patroni is missing, and
 * reads its per-event figures from the JSON file it writes ({@code RESULT_JSON}). The script starts and
 * stops every process of its own; on a timeout it gets SIGTERM (it tears down on it), then SIGKILL.
 */
final class PatroniPeer {
    private static final long INSTALL_TIMEOUT_S = 900;

    record Failover(long rtoMs, int lostRows) {}

    record Switchover(long pauseMs, long failed, int lostRows) {}

    /** The figures, or why there are none ({@code error} non-empty). */
    record Result(List<Failover> failovers, List<Switchover> switchovers, String line, String error) {
        static Result failed(String why) {
            return new Result(List.of(), List.of(), "", why);
        }
    }

    private final Path scripts;
    private final PrintWriter err;

    PatroniPeer(Path scripts, PrintWriter err) {
        this.scripts = scripts;
        this.err = err;
    }

    /** The peer scripts' folder: the option, else $TANDEM_PEER_SCRIPTS, else ../shared/peers/postgres-ha from here or /work/shared. */
    static Optional<Path> locate(Path option) {
        List<Path> candidates = new ArrayList<>();
        if (option != null) candidates.add(option);
        Optional.ofNullable(System.getenv("TANDEM_PEER_SCRIPTS")).ifPresent(p -> candidates.add(Path.of(p)));
        candidates.add(Path.of("..", "shared", "peers", "postgres-ha"));
        candidates.add(Path.of("/work", "shared", "peers", "postgres-ha"));
        return candidates.stream().filter(p -> Files.isRegularFile(p.resolve("patroni.sh"))).map(p -> p.toAbsolutePath().normalize()).findFirst();
    }

    Result run(int failovers, int switchovers) throws InterruptedException {
        if (!isRoot()) {
            return Result.failed("not run as root: the peer scripts need root (apt-get for install.sh; PostgreSQL and Patroni run as user postgres)");
        }
        Optional<String> missing = missingTools();
        if (missing.isPresent()) {
            progress("patroni: %s missing; running %s (apt-get, up to %d min)", missing.get(), scripts.resolve("install.sh"), INSTALL_TIMEOUT_S / 60);
            Exec install = exec(List.of(scripts.resolve("install.sh").toString()), List.of(), INSTALL_TIMEOUT_S, "install");
            if (install.rc() != 0) {
                return Result.failed("install.sh failed (" + install.describe() + "): " + String.join(" | ", install.tail()));
            }
            Optional<String> still = missingTools();
            if (still.isPresent()) return Result.failed("install.sh ran but " + still.get() + " is still missing");
        }
        Path json;
        try {
            json = Files.createTempFile("tandem-bench-patroni-", ".json");
        } catch (IOException e) {
            return Result.failed("cannot create a temporary file: " + e.getMessage());
        }
        try {
            // setup ~30 s; a failover ~25 s plus the rejoin; a switchover ~10 s: generous bounds
            long timeoutS = 300 + 240L * failovers + 120L * switchovers;
            progress("patroni: CONFIGS=sync REPEATS=%d SWITCHOVERS=%d %s (a few minutes; at most %d s)", failovers, switchovers,
                    scripts.resolve("patroni.sh"), timeoutS);
            Exec r = exec(List.of(scripts.resolve("patroni.sh").toString()),
                    List.of("CONFIGS=sync", "REPEATS=" + failovers, "SWITCHOVERS=" + switchovers, "RESULT_JSON=" + json), timeoutS, "patroni");
            String line = r.stdout().stream().filter(l -> l.startsWith("patroni-sync")).findFirst().orElse("");
            if (r.rc() != 0 || line.isEmpty() || line.startsWith("patroni-sync: ERROR")) {
                return Result.failed("patroni.sh " + r.describe() + (line.isEmpty() ? "" : ": " + line) + "; last stderr: " + String.join(" | ", r.tail()));
            }
            return parse(json, line);
        } finally {
            try {
                Files.deleteIfExists(json);
            } catch (IOException e) {
                progress("patroni: could not delete %s: %s", json, e.getMessage());
            }
        }
    }

    private static Result parse(Path json, String line) {
        JsonNode all;
        try {
            all = Json.MAPPER.readTree(Files.readString(json));
        } catch (IOException e) {
            return Result.failed("cannot read the peer's RESULT_JSON: " + e.getMessage() + "; its line: " + line);
        }
        for (JsonNode cfg : all) {
            if (!cfg.path("mode").asText().equals("sync")) continue;
            List<Failover> fo = new ArrayList<>();
            for (JsonNode f : cfg.path("failovers")) {
                if (f.path("rto_ms").isNumber()) fo.add(new Failover(f.path("rto_ms").asLong(), f.path("rpo_rows").asInt()));
            }
            List<Switchover> sw = new ArrayList<>();
            for (JsonNode s : cfg.path("switchovers")) {
                if (s.path("pause_ms").isNumber()) sw.add(new Switchover(s.path("pause_ms").asLong(), s.path("failed").asLong(), s.path("rpo_rows").asInt()));
            }
            return new Result(fo, sw, line, "");
        }
        return Result.failed("no sync configuration in the peer's RESULT_JSON; its line: " + line);
    }

    private static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && out.equals("0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** What patroni.sh checks before it runs. */
    private static Optional<String> missingTools() {
        for (String tool : List.of("patroni", "patronictl", "etcd")) {
            if (!onPath(tool)) return Optional.of(tool);
        }
        if (!Files.isExecutable(Path.of("/usr/lib/postgresql/15/bin/postgres"))) return Optional.of("/usr/lib/postgresql/15/bin/postgres");
        return Optional.empty();
    }

    private static boolean onPath(String tool) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin");
        for (String d : path.split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) return true;
        }
        return false;
    }

    /** A finished child process: its exit code (-1 when it timed out), its stdout lines and the last lines of its stderr. */
    private record Exec(int rc, boolean timedOut, List<String> stdout, List<String> tail) {
        String describe() {
            return timedOut ? "timed out and was stopped" : "exited with " + rc;
        }
    }

    /** Runs a command, its stderr copied to ours as progress, both bounded by {@code timeoutS}. */
    private Exec exec(List<String> command, List<String> env, long timeoutS, String label) throws InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(scripts.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Exec(127, false, List.of(), List.of("cannot start " + command.get(0) + ": " + e.getMessage()));
        }
        List<String> out = new ArrayList<>();
        List<String> tail = new ArrayList<>();
        Thread outReader = Thread.ofPlatform().daemon().start(() -> readLines(p.getInputStream(), line -> {
            synchronized (out) {
                out.add(line);
            }
        }));
        Thread errReader = Thread.ofPlatform().daemon().start(() -> readLines(p.getErrorStream(), line -> {
            progress("  %s: %s", label, line);
            synchronized (tail) {
                tail.add(line);
                if (tail.size() > 5) tail.remove(0);
            }
        }));
        // if this JVM is stopped meanwhile, the script still tears its processes down (it does on SIGTERM)
        Thread hook = new Thread(() -> {
            p.destroy();
            try {
                p.waitFor(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        boolean done = p.waitFor(timeoutS, TimeUnit.SECONDS);
        if (!done) {
            progress("%s: no result within %d s; SIGTERM to %d (it tears its processes down)", label, timeoutS, p.pid());
            p.destroy();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                progress("%s: still running; SIGKILL to %d", label, p.pid());
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running already
        }
        outReader.join(5_000);
        errReader.join(5_000);
        synchronized (out) {
            synchronized (tail) {
                return new Exec(done ? p.exitValue() : -1, !done, List.copyOf(out), List.copyOf(tail));
            }
        }
    }

    private static void readLines(java.io.InputStream in, java.util.function.Consumer<String> each) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) each.accept(line);
        } catch (IOException e) {
            // the process ended
        }
    }

    private void progress(String format, Object... args) {
        synchronized (err) {
            err.printf(format + "%n", args);
            err.flush();
        }
    }
}
