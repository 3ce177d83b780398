package io.tandem.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The gateway side by side with HAProxy and nginx, using the peer scripts in ../shared/peers/proxy (wrk on
 * loopback, one nginx backend with two listeners, the same CPU pinning for every system). Runs, in one go:
 * the backend direct, HAProxy and nginx in HTTP and TCP mode, and our gateway in HTTP mode (a route for "/"
 * to an active-active service over the two backend listeners) and in TCP mode (a TCP listener to the same
 * service). This process starts the gateway itself, pinned to the runner's PROXY_CPUS with taskset, and hands its
 * pid to the runner (SUT_PID), which accounts its CPU like the peers'. It does not go through the runner's SUT_CMD,
 * which starts a command under setsid: a session of its own is, with Linux's autogroup, a scheduling group of its own,
 * while HAProxy and nginx run in the runner's session with the backend they share their CPU with (see
 * {@link #ownSession}).
 *
 * <p>No agents run, so this process serves the cluster state the gateway polls: a tiny {@code GET /v1/cluster}
 * on each site's api address answering as a Raft leader that both sites are healthy (an active-active
 * service routes to every serving site). The gateway polls it every poll_interval during the measurement,
 * as in production. Its threads and the RSS sampler run on the CPUs not in PROXY_CPUS ({@link CpuPin}): HAProxy's
 * runs have no such helpers on their CPU, so neither do the gateway's.
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "The gateway (HTTP and TCP mode) against HAProxy, nginx and the backend direct, with the peer scripts "
                + "(wrk, 64 connections, 1 KiB and 64 KiB bodies); prints the scripts' lines, then ratios and the gateway's RSS.")
final class GatewayBench implements Callable<Integer> {
    private static final List<String> ALL = List.of("direct", "haproxy", "nginx", "haproxy-tcp", "nginx-tcp", "gateway", "gateway-tcp");
    /** JVM flags of the gateway process (see README "Measured"); override with --gateway-jvm. */
    static final String DEFAULT_JVM = "-Xms64m -Xmx128m -XX:MaxDirectMemorySize=96m -XX:+UseSerialGC -XX:ReservedCodeCacheSize=48m "
            + "-XX:MaxMetaspaceSize=96m -Xss512k -Dio.netty.leakDetection.level=disabled -Dtandem.log.level=INFO "
            + io.tandem.gateway.ThreadPriorities.JVM_FLAGS_LINE;
    private static final Pattern FIGURE = Pattern.compile("^(\\S.*?) (\\S+): ((?:\\S+=\\S+ ?)+)$");

    @Option(names = "--home", paramLabel = "DIR", description = "the repository, whose tandem-cli/target runs the gateway (default: where this jar is)")
    Path home;

    @Option(names = "--peers", paramLabel = "DIR", description = "the peer scripts (default: ../shared/peers/proxy next to the repository)")
    Path peers;

    /** Each gateway figure right after the HAProxy one it is divided by, so that drift of a shared machine matters less. */
    @Option(names = "--targets", split = ",", paramLabel = "T", description = "what to measure, in order (default: ${DEFAULT-VALUE})",
            defaultValue = "direct,haproxy,gateway,nginx,haproxy-tcp,gateway-tcp,nginx-tcp")
    List<String> targets;

    @Option(names = "--duration", paramLabel = "S", description = "seconds per figure (wrk -d; the scripts' default 20 when not given)")
    Integer duration;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "30", description = "seconds of unmeasured load before each figure, "
            + "the same for every system (the scripts' WARMUP; their default 3 s leaves a JVM still compiling, and after 10 s its "
            + "compiler threads still took 1-1.4 %% of the shared CPU, which showed in p99) (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--gateway-jvm", paramLabel = "FLAGS", description = "JVM flags of the gateway process (default: ${DEFAULT-VALUE})",
            defaultValue = DEFAULT_JVM)
    String gatewayJvm;

    @Option(names = "--admin-port", defaultValue = "28090", description = "the gateway's admin port (default: ${DEFAULT-VALUE})")
    int adminPort;

    @Option(names = "--spare-port", defaultValue = "28091", description = "the gateway's http_port in TCP mode, where only the TCP listener is measured (default: ${DEFAULT-VALUE})")
    int sparePort;

    @Option(names = "--rounds", defaultValue = "1", description = "times the whole sequence is run; ratios use each label's best round "
            + "by requests/s (the least disturbed on a shared machine, as the peers' summarize.py), and a 'pairs' line compares each round's "
            + "runs with each other (default: ${DEFAULT-VALUE})")
    int rounds;

    /**
     * Why the default differs from the runner's SUT_CMD: with autogroup on (Debian's kernels), a process under setsid gets a
     * scheduling group of its own, so the gateway would share its CPU with the backend as one group against another, while
     * HAProxy shares it as a task of the backend's own group. Measured 2026-12-06 (TCP, 1 KiB, perf sched): in its own session
     * the gateway preempted the backend at each wake; in the runner's session the backend preempted the gateway right after
     * the first request forwarded; HAProxy and the backend took turns of ~0.7 ms. Requests/s were alike either way (3 pairs:
     * 0.78/0.84/0.85 of HAProxy in the runner's session, 1.03/0.75/0.77 in its own), so this is about equal conditions, not a gain.
     */
    @Option(names = "--own-session", description = "start the gateway through the runner's SUT_CMD (under setsid: in a session, and so a "
            + "Linux autogroup, of its own) instead of in the runner's session like HAProxy and nginx; shows what a scheduling group of "
            + "its own costs on a CPU shared with the backend")
    boolean ownSession;

    @Option(names = "--no-warmup-reconnects", description = "do not close and reopen the connections during each warmup (by default a "
            + "second wrk runs 1 s at a third and two thirds of it, for every system alike, so that a JIT has seen connections close "
            + "before the measured run replaces the warmup's; see WarmupReconnects)")
    boolean noWarmupReconnects;

    @Option(names = "--keep", description = "keep the working folder (configs, runner logs with wrk's full output)")
    boolean keep;

    @Spec
    CommandSpec spec;

    private PrintWriter out;
    private PrintWriter err;
    private final Map<String, List<Map<String, String>>> figures = new LinkedHashMap<>();
    /** The round being run (1-based), for the figures it yields. */
    private int round = 1;
    private final Map<String, Long> peakRssKib = new LinkedHashMap<>();
    /** Runs for the whole benchmark; each figure is printed with the machine's stalls in its measured window. */
    private final StallMeter stalls = new StallMeter();
    /** CPUs for the bench's helper threads: those not in PROXY_CPUS ("" = anywhere). */
    private String helperCpus = "";
    /** A figure's line comes a little after wrk ends; stalls that long before its window are counted with it too. */
    private static final long WINDOW_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** Seconds of each measured window: --duration, else the scripts' default DURATION. */
    private int windowSeconds() {
        return duration != null ? duration : Integer.parseInt(System.getenv().getOrDefault("DURATION", "20"));
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        if (rounds < 1 || rounds > 20) {
            err.println("tandem bench gateway: --rounds must be between 1 and 20");
            return 2;
        }
        if (warmup < 0 || warmup > 120 || duration != null && (duration < 1 || duration > 600)) {
            err.println("tandem bench gateway: --warmup must be between 0 and 120 s, --duration between 1 and 600 s");
            return 2;
        }
        for (String t : targets) {
            if (!ALL.contains(t)) {
                err.println("tandem bench gateway: unknown target '" + t + "'; known: " + String.join(",", ALL));
                return 2;
            }
        }
        Path repo = home != null ? home.toAbsolutePath() : repoDir();
        Path dir = peers != null ? peers : repo.resolve("../shared/peers/proxy").normalize();
        if (!Files.isExecutable(dir.resolve("run.sh"))) {
            err.println("tandem bench gateway: no peer scripts in " + dir + " (run.sh); give --peers DIR");
            return 2;
        }
        List<String> missing = Stream.of("wrk", "haproxy", "nginx", "taskset", "ss", "curl").filter(c -> !onPath(c)).toList();
        if (!missing.isEmpty()) {
            err.println("tandem bench gateway: missing " + String.join(", ", missing) + "; install them with " + dir.resolve("install.sh") + " (Debian, root)");
            return 2;
        }
        Path cliJar = repo.resolve("tandem-cli/target/tandem-cli.jar");
        if (!Files.isRegularFile(cliJar)) {
            err.println("tandem bench gateway: " + cliJar + " not built; run ./tandem --help once (it builds) or ./mvnw -pl tandem-cli -am package");
            return 2;
        }
        Map<String, String> env = System.getenv();
        int proxyPort = Integer.parseInt(env.getOrDefault("PROXY_PORT", "28080"));
        int b1 = Integer.parseInt(env.getOrDefault("BACKEND1_PORT", "28081"));
        int b2 = Integer.parseInt(env.getOrDefault("BACKEND2_PORT", "28082"));

        Runtime.getRuntime().addShutdownHook(stopOnExit); // Ctrl-C: the gateway this process started ends with it
        Path work = Files.createTempDirectory("tandem-bench-gateway-");
        List<HttpServer> cluster = new ArrayList<>();
        try {
            // the fake cluster's threads (and the RSS sampler) keep off the proxy's CPUs: HAProxy's runs have no such helpers
            helperCpus = CpuPin.complement(env.getOrDefault("PROXY_CPUS", "0"), Runtime.getRuntime().availableProcessors());
            int apiPort = CpuPin.onCpus(helperCpus, () -> startFakeCluster(cluster));
            if (!helperCpus.isEmpty()) log("the bench's fake cluster and RSS sampler run on CPU " + helperCpus + ", off the proxy's");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String cp = cliJar + File.pathSeparator + repo.resolve("tandem-cli/target/lib") + File.separator + "*";
            String jvm = gatewayJvm;
            if (Runtime.version().feature() >= 24) jvm += " --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED";
            if (Runtime.version().feature() >= 25 && gatewayJvm.equals(DEFAULT_JVM)) jvm += " -XX:+UseCompactObjectHeaders";
            List<String> sequence = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) sequence.addAll(targets);
            stalls.start();
            for (int i = 0; i < sequence.size(); i++) {
                String t = sequence.get(i);
                round = i / targets.size() + 1;
                if (rounds > 1 && i % targets.size() == 0) log("round " + round + "/" + rounds);
                Map<String, String> extra = new LinkedHashMap<>();
                Path pidFile = null;
                String target = t;
                if (t.startsWith("gateway")) {
                    boolean tcp = t.equals("gateway-tcp");
                    Path cfg = work.resolve(t + ".yaml");
                    Files.writeString(cfg, config(apiPort, tcp ? sparePort : proxyPort, adminPort, tcp ? proxyPort : 0, b1, b2));
                    pidFile = work.resolve(t + ".pid");
                    if (ownSession) {
                        // the runner pins it; exec: the pid written is the JVM's, sampled for RSS; the runner ends the whole process group
                        extra.put("SUT_CMD", "echo $$ > " + shellQuoted(pidFile.toString()) + "; exec "
                                + String.join(" ", gatewayCommand("", java, jvm, cp, cfg).stream().map(GatewayBench::shellQuoted).toList()));
                    } else {
                        List<String> cmd = gatewayCommand(env.getOrDefault("PROXY_CPUS", "0"), java, jvm, cp, cfg);
                        Path gwLog = work.resolve(t + "-gateway.log");
                        gateway = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(gwLog.toFile()).start();
                        Files.writeString(pidFile, Long.toString(gateway.pid()));
                        if (!awaitListening(gateway, proxyPort, 60)) {
                            err.println("tandem bench gateway: the gateway for " + t + (gateway.isAlive() ? " did not listen on 127.0.0.1:" + proxyPort + " within 60 s"
                                    : " exited with " + gateway.exitValue() + " before it listened on 127.0.0.1:" + proxyPort) + "; last lines of " + gwLog + ":");
                            tail(gwLog, 25);
                            keep = true;
                            return 1;
                        }
                        extra.put("SUT_PID", Long.toString(gateway.pid()));
                    }
                    extra.put("NAME", t);
                    target = "sut";
                }
                if (duration != null) extra.put("DURATION", Integer.toString(duration));
                extra.put("WARMUP", Integer.toString(warmup));
                int rc;
                try {
                    rc = runTarget(dir, target, t, extra, pidFile, work.resolve(t + ".log"));
                } finally {
                    stopGateway();
                }
                if (rc != 0) {
                    err.println("tandem bench gateway: " + t + " failed (exit " + rc + "); last lines of " + work.resolve(t + ".log") + ":");
                    tail(work.resolve(t + ".log"), 25);
                    keep = true;
                    return 1;
                }
            }
            summary();
            return 0;
        } finally {
            stopGateway();
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            } catch (IllegalStateException e) {
                // Ctrl-C: the JVM is shutting down and runs the hook itself
            }
            stalls.interrupt();
            cluster.forEach(s -> s.stop(0));
            if (keep) {
                err.println("working folder kept: " + work);
            } else {
                deleteTree(work);
            }
        }
    }

    /**
     * The gateway's command when this process starts it: pinned like the peers (the runner's PROXY_CPUS, default CPU 0; none
     * when empty) by taskset, which execs java, so the pid is the JVM's; the JVM flags are split at spaces.
     */
    static List<String> gatewayCommand(String cpus, String java, String jvm, String cp, Path cfg) {
        List<String> cmd = new ArrayList<>();
        if (!cpus.isBlank()) cmd.addAll(List.of("taskset", "-c", cpus.trim()));
        cmd.add(java);
        if (!jvm.isBlank()) cmd.addAll(Arrays.asList(jvm.trim().split("\\s+")));
        cmd.addAll(List.of("-Dtandem.peer=gateway", "-cp", cp, "io.tandem.cli.Main", "gateway", "--config", cfg.toString()));
        return cmd;
    }

    /** {@code s} as one word for bash: in single quotes, each quote inside closed, escaped and reopened. */
    static String shellQuoted(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** The gateway this process started for the runner being run, if any. */
    private volatile Process gateway;
    private final Thread stopOnExit = new Thread(this::stopGateway, "stop-gateway");

    /** Ends the gateway this process started (SIGTERM, then SIGKILL after 10 s), if it runs. */
    private void stopGateway() {
        Process p = gateway;
        if (p == null) return;
        gateway = null;
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Until something accepts connections on 127.0.0.1:port; false when the process ends first or the time is up. */
    private static boolean awaitListening(Process p, int port, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end && p.isAlive()) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
                return true;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        return false;
    }

    /** One runner (run.sh TARGET): its figure lines go to stdout as they come, everything else to a log. */
    private int runTarget(Path dir, String target, String label, Map<String, String> extra, Path pidFile, Path log) throws Exception {
        log("measuring " + label + " (" + dir.resolve("run.sh") + " " + target + "; full wrk output in the log)");
        ProcessBuilder pb = new ProcessBuilder(dir.resolve("run.sh").toString(), target).redirectError(log.toFile());
        pb.environment().putAll(extra);
        Process p = pb.start();
        RssSampler sampler = pidFile == null ? null : new RssSampler(pidFile, helperCpus);
        if (sampler != null) sampler.start();
        WarmupReconnects reconnects = null;
        if (!noWarmupReconnects && warmup >= WarmupReconnects.MIN_WARMUP_SECONDS) {
            Map<String, String> env = System.getenv();
            int port = Integer.parseInt(target.equals("direct") ? env.getOrDefault("BACKEND1_PORT", "28081") : env.getOrDefault("PROXY_PORT", "28080"));
            reconnects = new WarmupReconnects(log, warmup, WarmupReconnects.warmupUrls(port, env.getOrDefault("SIZES", "1k 64k"),
                    Integer.parseInt(env.getOrDefault("REPEAT", "1"))), Integer.parseInt(env.getOrDefault("WRK_CONNS", "64")),
                    env.getOrDefault("WRK_CPUS", "1"), this::log);
            reconnects.start();
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                long end = System.nanoTime();
                out.println(line);
                Matcher m = FIGURE.matcher(line.trim());
                if (!line.startsWith("#") && m.matches()) {
                    Map<String, String> kv = new LinkedHashMap<>();
                    for (String pair : m.group(3).trim().split(" ")) {
                        int eq = pair.indexOf('=');
                        kv.put(pair.substring(0, eq), pair.substring(eq + 1));
                    }
                    // the figure is printed as wrk ends: its measured window is the DURATION seconds before this line
                    StallMeter.Summary st = stalls.between(end - TimeUnit.SECONDS.toNanos(windowSeconds()) - WINDOW_SLACK_NANOS, end);
                    kv.put("round", Integer.toString(round));
                    kv.put("machine_stalls", Integer.toString(st.count()));
                    kv.put("longest_stall_ms", String.format(Locale.ROOT, "%.1f", st.longestMs()));
                    out.println("  " + m.group(1) + " " + m.group(2) + " measured window: " + st + " (wakes of a sleeping bench thread that came "
                            + StallMeter.THRESHOLD_MS + " ms or more late: its CPU ran nothing, as when the host takes this VM's CPUs; each such stall delays every request in flight)");
                    figures.computeIfAbsent(m.group(1) + " " + m.group(2), k -> new ArrayList<>()).add(kv);
                }
                out.flush();
            }
        } finally {
            int rc = p.waitFor();
            if (reconnects != null) {
                reconnects.interrupt();
                reconnects.join();
            }
            if (sampler != null) {
                sampler.interrupt();
                sampler.join();
                peakRssKib.merge(label, sampler.peakKib, Math::max);
            }
            if (rc != 0) return rc;
        }
        return 0;
    }

    /** Samples VmRSS of the process whose pid the SUT command wrote, every 100 ms, keeping the peak. */
    private static final class RssSampler extends Thread {
        private final Path pidFile;
        private final String cpus;
        volatile long peakKib;

        RssSampler(Path pidFile, String cpus) {
            super("rss-sampler");
            setDaemon(true);
            this.pidFile = pidFile;
            this.cpus = cpus;
        }

        @Override
        public void run() {
            CpuPin.pinCallingThread(cpus);
            try {
                while (!isInterrupted()) {
                    try {
                        if (Files.exists(pidFile)) {
                            String pid = Files.readString(pidFile).trim();
                            for (String l : Files.readAllLines(Path.of("/proc", pid, "status"))) {
                                if (l.startsWith("VmRSS:")) {
                                    long kib = Long.parseLong(l.replaceAll("[^0-9]", ""));
                                    if (kib > peakKib) peakKib = kib;
                                }
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        // not started yet, or already ended
                    }
                    Thread.sleep(100);
                }
            } catch (InterruptedException e) {
                // done
            }
        }
    }

    private void summary() {
        ratio("gateway", "haproxy");
        ratio("gateway-tcp", "haproxy-tcp");
        if (!peakRssKib.isEmpty()) {
            long peak = peakRssKib.values().stream().mapToLong(Long::longValue).max().orElse(0);
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "gateway rss_mib=%.1f", peak / 1024.0));
            peakRssKib.forEach((k, v) -> s.append(String.format(Locale.ROOT, " %s_peak_mib=%.1f", k.replace('-', '_'), v / 1024.0)));
            out.println(s.append(" (peak VmRSS of the gateway JVM while its runner ran; target <= 256)"));
        }
        out.println("targets: rps ratio >= 1.00, p99_delta_ms <= 0.5, rss_mib <= 256 (one run on a shared 2-core machine: compare ratios, not absolute figures)");
        out.flush();
    }

    private void ratio(String ours, String peer) {
        for (String size : List.of("1KiB", "64KiB")) {
            Map<String, String> a = best(figures.get(ours + " " + size));
            Map<String, String> b = best(figures.get(peer + " " + size));
            if (a == null || b == null) continue;
            try {
                double rps = Double.parseDouble(a.get("rps")) / Double.parseDouble(b.get("rps"));
                double dp99 = Double.parseDouble(a.get("p99_ms")) - Double.parseDouble(b.get("p99_ms"));
                String valid = "0".equals(a.get("sock_err")) && "0".equals(a.get("non2xx")) ? "" : " INVALID(sock_err/non2xx)";
                out.println(String.format(Locale.ROOT, "ratio %s/%s %s: rps=%.2f p99_delta_ms=%+.3f proxy_cores=%s/%s other_cores=%s/%s machine_stalls=%s/%s%s%s",
                        ours, peer, size, rps, dp99, a.get("proxy_cores"), b.get("proxy_cores"), a.get("other_cores"), b.get("other_cores"),
                        a.get("machine_stalls"), b.get("machine_stalls"), rounds > 1 ? " (best of " + rounds + " rounds each)" : "", valid));
                String pairs = pairs(figures.get(ours + " " + size), figures.get(peer + " " + size));
                if (rounds > 1 && !pairs.isEmpty()) out.println("pairs " + ours + "/" + peer + " " + size + ": " + pairs);
            } catch (RuntimeException e) {
                out.println("ratio " + ours + "/" + peer + " " + size + ": NA (" + e.getMessage() + ")");
            }
        }
    }

    /**
     * Each round's two runs compared with each other (they ran a minute or so apart, where the best rounds of each may
     * be far apart on a machine whose load drifts): the ratios in round order and their median, then the p99 deltas.
     * Empty when no round has a figure from both.
     */
    static String pairs(List<Map<String, String>> ours, List<Map<String, String>> peer) {
        if (ours == null || peer == null) return "";
        List<Double> rps = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        for (Map<String, String> a : ours) {
            for (Map<String, String> b : peer) {
                if (!a.get("round").equals(b.get("round"))) continue;
                try {
                    double r = Double.parseDouble(a.get("rps")) / Double.parseDouble(b.get("rps"));
                    double d = Double.parseDouble(a.get("p99_ms")) - Double.parseDouble(b.get("p99_ms"));
                    rps.add(r);
                    p99.add(d);
                } catch (RuntimeException e) {
                    // NA in one of them: no pair
                }
            }
        }
        if (rps.isEmpty()) return "";
        return "rps=" + String.join(" ", rps.stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList())
                + String.format(Locale.ROOT, " median=%.2f", median(rps))
                + " p99_delta_ms=" + String.join(" ", p99.stream().map(x -> String.format(Locale.ROOT, "%+.3f", x)).toList())
                + String.format(Locale.ROOT, " median=%+.3f", median(p99)) + " (each round's two runs, in round order)";
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** The round with the most requests/s (the least disturbed one), or null. */
    private static Map<String, String> best(List<Map<String, String>> runs) {
        if (runs == null) return null;
        Map<String, String> best = null;
        for (Map<String, String> r : runs) {
            try {
                if (best == null || Double.parseDouble(r.get("rps")) > Double.parseDouble(best.get("rps"))) best = r;
            } catch (RuntimeException e) {
                // NA
            }
        }
        return best;
    }

    /** The gateway's config: both backend listeners as one active-active service, "/" routed to it, or a TCP listener to it. */
    static String config(int apiPort, int httpPort, int adminPort, int tcpPort, int backend1, int backend2) {
        String tcp = tcpPort == 0 ? "" : """
                  tcp_listeners:
                    - {name: bench, port: %d, service: backend}
                """.formatted(tcpPort);
        return """
                # written by ./tandem bench gateway; the cluster state is served by the bench (both sites healthy)
                cluster: bench
                sites:
                  - {name: a, address: 127.0.1.1, raft_port: 28101, api_port: %d}
                  - {name: b, address: 127.0.2.1, raft_port: 28201, api_port: %d}
                gateway:
                  listen_address: 127.0.0.1
                  http_port: %d
                  admin_port: %d
                  access_log: false   # the peers log nothing per request either
                  services:
                    - name: backend
                      mode: active-active
                      instances:
                        - {site: a, address: 127.0.0.1:%d}
                        - {site: b, address: 127.0.0.1:%d}
                  routes:
                    - {host: "*", path_prefix: /, service: backend}
                %s""".formatted(apiPort, apiPort, httpPort, adminPort, backend1, backend2, tcp);
    }

    private static final Pattern LONG_POLL = Pattern.compile("after=1&wait=(\\d{1,6})");

    /**
     * Serves GET /v1/cluster on 127.0.1.1 and 127.0.2.1 (one port for both): a leader's answer with both sites healthy,
     * at state version 1. Like an agent, it holds a long-poll for that version ({@code after=1&wait=N}) for N ms, since
     * the state never changes, so the gateway polls each site about once a second, as it does a real cluster.
     */
    private int startFakeCluster(List<HttpServer> servers) throws IOException {
        byte[] body = ("{\"cluster\":\"bench\",\"version\":1,\"leader\":\"a\",\"source\":\"leader\",\"resources\":[],\"sites\":["
                + "{\"name\":\"a\",\"role\":\"standby\",\"health\":\"healthy\",\"fenced\":false},"
                + "{\"name\":\"b\",\"role\":\"standby\",\"health\":\"healthy\",\"fenced\":false}]}").getBytes(StandardCharsets.UTF_8);
        int port = 0;
        for (String addr : List.of("127.0.1.1", "127.0.2.1")) {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getByName(addr), port), 16);
            s.setExecutor(Executors.newCachedThreadPool(r -> { // a held long-poll blocks its thread
                Thread th = new Thread(r, "fake-cluster");
                th.setDaemon(true);
                return th;
            }));
            s.createContext("/v1/cluster", ex -> {
                java.util.regex.Matcher held = LONG_POLL.matcher(String.valueOf(ex.getRequestURI().getQuery()));
                if (held.find()) {
                    try {
                        Thread.sleep(Math.min(5000, Long.parseLong(held.group(1))));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            s.start();
            servers.add(s);
            port = s.getAddress().getPort();
        }
        return port;
    }

    private static Path repoDir() throws URISyntaxException {
        // tandem-bench/target/tandem-bench.jar (or target/classes) -> the repository
        Path p = Path.of(GatewayBench.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        return p.getParent().getParent().getParent();
    }

    private static boolean onPath(String cmd) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, cmd))) return true;
        }
        return Files.isExecutable(Path.of("/usr/sbin", cmd));
    }

    private void tail(Path f, int n) {
        try {
            List<String> lines = Files.readAllLines(f);
            lines.subList(Math.max(0, lines.size() - n), lines.size()).forEach(err::println);
        } catch (IOException e) {
            err.println("(cannot read " + f + ": " + e.getMessage() + ")");
        }
        err.flush();
    }

    private void log(String msg) {
        err.println("[" + LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + msg);
        err.flush();
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
