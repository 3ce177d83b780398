package io.tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tandem.gateway.ThreadPriorities;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway process, started as {@code ./tandem gateway} and the demo start it, runs its event loops, JIT compilers and
 * VM thread at nice 0 and its other threads (cluster watcher, admin API, the JVM's periodic and reference threads) at
 * nice 19, read from the outside in /proc; and the launcher script gives the same JVM flags as
 * {@link ThreadPriorities#JVM_FLAGS}.
 */
class GatewayThreadPrioritiesTest {
    @TempDir
    Path tmp;

    @Test
    void aGatewayProcessRunsItsEventLoopsAtNiceZeroAndItsHelpersAtNineteen() throws Exception {
        String example = Files.readString(Path.of("..", "examples", "two-sites.yaml"));
        Path cfg = tmp.resolve("tandem.yaml");
        Files.writeString(cfg, example.replace("http_port: 8080", "http_port: " + ChildPeers.freePort("127.0.0.1"))
                .replace("admin_port: 8081", "admin_port: " + ChildPeers.freePort("127.0.0.1"))
                .replace("port: 15432", "port: " + ChildPeers.freePort("127.0.0.1")));
        Path logs = tmp.resolve("logs");
        try (ChildPeers peers = new ChildPeers(cfg, logs)) {
            Process gw = peers.startGateway();
            Path log = logs.resolve("gateway.log");
            String started = awaitLine(log, "event=gateway_started", gw);
            Map<String, Set<Integer>> nice = niceByName(gw.pid());
            assertThat(nice).as("nice values by thread name").containsKeys("tandem-gw-io", "tandem-gw-watch", "tandem-gw-admin", "C1 CompilerThre");
            // the cluster watcher polls with blocking sockets; no JDK HTTP client (a selector thread and futures) runs here
            assertThat(nice).as("threads of a JDK HTTP client in the gateway").doesNotContainKey("HttpClient-");
            assertThat(nice.get("tandem-gw-io")).containsExactly(0);
            for (String helper : List.of("tandem-gw-watch", "tandem-gw-admin")) {
                assertThat(nice.get(helper)).as(helper).containsExactly(19);
            }
            for (String compiler : List.of("C1 CompilerThre", "C2 CompilerThre")) { // C2: none with TieredStopAtLevel=1
                if (nice.containsKey(compiler)) assertThat(nice.get(compiler)).as(compiler + ", not starved during warmup").containsExactly(0);
            }
            // the JVM sets no priority for its service, monitor-deflation and notification threads: they keep main's
            for (String jvm : List.of("VM Periodic Tas", "Reference Handl", "Signal Dispatch", "Finalizer", "Common-Cleaner")) {
                assertThat(nice.get(jvm)).as(jvm).containsExactly(19);
            }
            assertThat(nice.get("VM Thread")).as("the VM thread runs safepoints and the serial GC").containsExactly(0);
            // as the gateway itself saw them at start (a thread just started may not carry its name yet)
            assertThat(started).containsPattern("thread_priorities=\"[^\"]*\\bio=0\\b").contains("admin=19", "compiler=0")
                    .doesNotContainPattern("thread_priorities=\"[^\"]*\\bio=[^\" ]*19");
        }
    }

    @Test
    void theLauncherGivesTheGatewayTheSameFlags() throws IOException {
        String script = Files.readString(Path.of("..", "tandem"));
        Matcher m = Pattern.compile("(?s)GATEWAY_PRIORITY_FLAGS=\\((.*?)\\)").matcher(script);
        assertThat(m.find()).as("GATEWAY_PRIORITY_FLAGS=(...) in ./tandem").isTrue();
        assertThat(List.of(m.group(1).trim().split("\\s+"))).isEqualTo(ThreadPriorities.JVM_FLAGS);
        assertThat(script).contains("if [ \"${1:-}\" = \"gateway\" ]; then OPTS+=(\"${GATEWAY_PRIORITY_FLAGS[@]}\"); fi");
    }

    /** Nice values of the process's threads, keyed by the first 15 characters of their names, with pool numbers cut off. */
    private static Map<String, Set<Integer>> niceByName(long pid) throws IOException {
        Map<String, Set<Integer>> out = new TreeMap<>();
        List<Path> tasks;
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            tasks = new ArrayList<>(s.toList());
        }
        for (Path t : tasks) {
            String comm = Files.readString(t.resolve("comm")).strip();
            String stat = Files.readString(t.resolve("stat"));
            int nice = Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
            String key = comm.startsWith("HttpClient-") ? "HttpClient-" : comm.replaceAll("-[0-9-]*$", "");
            out.computeIfAbsent(key, k -> new TreeSet<>()).add(nice);
        }
        return out;
    }

    private static String awaitLine(Path log, String needle, Process p) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                for (String l : Files.readAllLines(log)) {
                    if (l.contains(needle)) return l;
                }
            }
            assertThat(p.isAlive()).as("gateway alive; its log: %s", Files.exists(log) ? Files.readString(log) : "(none)").isTrue();
            Thread.sleep(100);
        }
        throw new AssertionError("no '" + needle + "' in " + log + " within 30 s: " + (Files.exists(log) ? Files.readString(log) : "(none)"));
    }
}
