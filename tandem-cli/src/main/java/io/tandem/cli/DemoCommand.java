package io.tandem.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run two sites (kyiv 127.0.1.1, frankfurt 127.0.2.1) and a witness (127.0.3.1) on this machine and watch their status. "
                + "Kill the primary's agent in another terminal to watch the failover. Ctrl-C stops everything.")
final class DemoCommand implements Callable<Integer> {
    static final String MARKER = ".tandem-demo";

    @Option(names = "--dir", defaultValue = "demo-data", paramLabel = "DIR", description = "working folder, wiped at start (default: ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "SECONDS", description = "stop after this many seconds; 0 runs until Ctrl-C")
    long durationSeconds;

    @Option(names = "--no-writer", negatable = false, description = "do not start the demo's client, which commits a row every 50 ms through the gateway"
            + " and checks that every acknowledged row is on the primary")
    boolean noWriter;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        prepare(dir);
        try (LocalCluster cluster = LocalCluster.create(dir, new LocalCluster.Options(true, false))) {
            Path config = cluster.configFile();
            ChildPeers peers = cluster.peers();
            cluster.startAll();
            out.println("Started (config " + config + ", logs in " + dir.resolve("logs") + "):");
            peers.processes().forEach((n, p) -> out.println("  " + n + " pid " + p.pid()));
            out.println("\nPostgreSQL (embedded " + "binaries, sync replication) runs at both sites; data in " + cluster.dataDir() + ".");
            out.println("Connect through the gateway, which always reaches the primary:");
            out.println("  " + cluster.gatewayJdbcUrl() + "   user " + cluster.pgUser().user() + ", password in " + cluster.pgPasswordFile());
            out.println("  e.g. PGPASSWORD=$(cat " + cluster.pgPasswordFile() + ") psql -h " + cluster.config().gateway().listenAddress() + " -p "
                    + cluster.config().gateway().tcpListeners().get(0).port() + " -U " + cluster.pgUser().user() + " postgres");
            out.println("\nIn another terminal, kill the primary site (its agent and its PostgreSQL) and watch the other site take over:");
            out.println("  kill -9 $(cat " + dir.resolve("logs") + "/kyiv.pid) $(head -1 " + cluster.dataDir() + "/kyiv/pg/db/data/postmaster.pid)");
            out.println("  ./tandem status --config " + config);
            if (!noWriter) {
                out.println("The demo's own client commits a row every 50 ms through the gateway; under the status it shows its commits and");
                out.println("whether every row it was told was committed is on the primary, before and after the failover.");
            }
            out.println("Ctrl-C here stops every process the demo started.\n");
            out.flush();
            long waitUntil = System.nanoTime() + 60_000_000_000L;
            while (cluster.leaderView().isEmpty() && System.nanoTime() < waitUntil) {
                for (var e : peers.processes().entrySet()) {
                    if (!e.getValue().isAlive()) {
                        err.println("tandem demo: " + e.getKey() + " exited with code " + e.getValue().exitValue() + "; see "
                                + dir.resolve("logs").resolve(e.getKey() + ".log"));
                        return Main.FAILED;
                    }
                }
                Thread.sleep(200);
            }
            try (DemoWriter writer = noWriter ? null : new DemoWriter(cluster).start()) {
                if (durationSeconds > 0) {
                    long end = System.nanoTime() + durationSeconds * 1_000_000_000L;
                    while (System.nanoTime() < end) {
                        status(writer, out, err).execute("--config", config.toString());
                        Thread.sleep(1000);
                    }
                    return Main.OK;
                }
                return status(writer, out, err).execute("--config", config.toString(), "--watch");
            }
        }
    }

    private static CommandLine status(DemoWriter writer, PrintWriter out, PrintWriter err) {
        StatusCommand status = new StatusCommand();
        if (writer != null) status.footer = writer::describe;
        return new CommandLine(status).setOut(out).setErr(err);
    }

    /** Wipes the folder only if an earlier demo made it; refuses to touch anything else. */
    static void prepare(Path dir) throws IOException {
        if (Files.exists(dir)) {
            if (!Files.exists(dir.resolve(MARKER))) {
                throw new IOException(dir + " exists and was not made by 'tandem demo'; choose another with --dir");
            }
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MARKER), "made by tandem demo; deleted by the next one\n");
    }
}
