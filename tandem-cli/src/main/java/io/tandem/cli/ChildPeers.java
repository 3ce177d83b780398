package io.tandem.cli;

import io.tandem.agent.LinkFaultTable;
import io.tandem.gateway.ThreadPriorities;
import java.io.IOException;
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
 * {@link LinkFaults}, each peer starts so that its links can be cut: in its own cgroup (nftables), or with the
 * in-process link-fault layer turned on through its environment; closing removes the cgroups or the file too.
 */
public final class ChildPeers implements AutoCloseable {
    private final Path config;
    private final Path logDir;
    private final LinkFaults faults; // null: peers run where this JVM runs, and no link can be cut
    private final Map<String, String> extraEnv = new java.util.LinkedHashMap<>();
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final Thread hook = new Thread(this::close, "tandem-children-stop");

    public ChildPeers(Path config, Path logDir) {
        this(config, logDir, null);
    }

    /** With faults (may be null), peers start ready for them, and {@link #close()} closes the faults once the peers have exited. */
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

    /** Environment added to every process started from now on (e.g. TANDEM_DRIVERS=recording). */
    public synchronized void environment(Map<String, String> env) {
        extraEnv.putAll(env);
    }

    /** Starts {@code tandem agent|witness} for the named peer. */
    public synchronized Process start(String name, boolean witness) throws IOException {
        return launch(name, witness ? List.of("witness", "--config", config.toString())
                : List.of("agent", "--config", config.toString(), "--site", name), true);
    }

    /** Starts {@code tandem gateway} on the same config, outside any link fault. */
    public synchronized Process startGateway() throws IOException {
        return launch("gateway", ThreadPriorities.JVM_FLAGS, List.of("gateway", "--config", config.toString()), false);
    }

    private Process launch(String name, List<String> args, boolean peer) throws IOException {
        return launch(name, List.of(), args, peer);
    }

    private Process launch(String name, List<String> jvmFlags, List<String> args, boolean peer) throws IOException {
        Files.createDirectories(logDir);
        List<String> cmd = new ArrayList<>();
        cmd.add(javaCommand());
        cmd.addAll(jvmOptions());
        cmd.addAll(jvmFlags);
        cmd.add("-Dtandem.peer=" + name);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        if (faults != null && peer) {
            cmd = faults.wrap(name, cmd);
        }
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // The in-process link-fault layer is on only where these faults ask for it, never inherited from this JVM.
        pb.environment().remove(LinkFaultTable.ENV);
        pb.environment().putAll(extraEnv);
        if (faults != null && peer) {
            pb.environment().putAll(faults.environment(name));
        }
        Process p = pb.start();
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

    /** A port free right now on the given loopback address, never one handed out before by this JVM. */
    public static int freePort(String address) throws IOException {
        return io.tandem.model.net.FreePorts.take(address);
    }
}
