package io.tandem.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts peers (agents, witness) as child JVMs of this one, with small heaps, logging to files, and
 * stops exactly those processes (by handle, never by name) when closed or when this JVM exits. Given
 * {@link LinkFaults}, each peer runs in its own cgroup so that links can be cut; closing removes them too.
 */
public final class ChildPeers implements AutoCloseable {
    private final Path config;
    private final Path logDir;
    private final LinkFaults faults; // null: peers run where this JVM runs, and no link can be cut
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final Thread hook = new Thread(this::close, "tandem-children-stop");

    public ChildPeers(Path config, Path logDir) {
        this(config, logDir, null);
    }

    /** With faults (may be null), peers start in their cgroups, and {@link #close()} closes the faults once the peers have exited. */
    ChildPeers(Path config, Path logDir, LinkFaults faults) {
        this.config = config;
        this.logDir = logDir;
        this.faults = faults;
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** JVM options for a light peer process; the JDK 24+ flags keep the shaded Netty in Ratis from warning. */
    public static List<String> jvmOptions() {
        List<String> o = new ArrayList<>(List.of("-Xms32m", "-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                "-XX:CICompilerCount=2", "-Xshare:auto"));
        if (Runtime.version().feature() >= 24) {
            o.add("--sun-misc-unsafe-memory-access=allow");
            o.add("--enable-native-access=ALL-UNNAMED");
        }
        return o;
    }

    public static String javaCommand() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Starts {@code tandem agent|witness} for the named peer. */
    public synchronized Process start(String name, boolean witness) throws IOException {
        Files.createDirectories(logDir);
        List<String> cmd = new ArrayList<>();
        cmd.add(javaCommand());
        cmd.addAll(jvmOptions());
        cmd.add("-Dtandem.peer=" + name);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        if (witness) {
            cmd.addAll(List.of("witness", "--config", config.toString()));
        } else {
            cmd.addAll(List.of("agent", "--config", config.toString(), "--site", name));
        }
        if (faults != null) {
            cmd = faults.wrap(name, cmd);
        }
        Path log = logDir.resolve(name + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        processes.put(name, p);
        Files.writeString(logDir.resolve(name + ".pid"), Long.toString(p.pid()) + "\n");
        return p;
    }

    public synchronized Map<String, Process> processes() {
        return Map.copyOf(processes);
    }

    @Override
    public synchronized void close() {
        for (Process p : processes.values()) {
            p.destroy();
        }
        for (Process p : processes.values()) {
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
        if (faults != null) {
            faults.close();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: this close runs in the hook or alongside it
        }
    }

    /** A port free right now on the given loopback address. */
    public static int freePort(String address) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            return s.getLocalPort();
        }
    }
}
