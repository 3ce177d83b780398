package io.tandem.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Which of the gateway's threads get the CPU first. A gateway shares its CPUs with what it proxies for, and its event
 * loops are the only threads a request waits for. Its JVM also runs the cluster watcher (a thread per agent),
 * the admin API and the JVM's own periodic threads; on Linux each of them, once woken, may keep a CPU for a scheduler
 * slice (about 1.4 ms on 2 CPUs, and up to the next 4 ms tick) while an event loop with data waiting cannot run.
 * <p>
 * So the event loops get {@link #EVENT_LOOP} and the other Java threads nice 19, through the JVM flags
 * {@link #JVM_FLAGS}: the loops' Java priority becomes nice 0, every other Java priority nice 19. The loops then run
 * at the same priority as any other process, as HAProxy's do, and the helpers use what CPU is left over, which on a
 * CPU that is not saturated is at once. The VM thread (safepoints, and the serial GC) stays at nice 0, as does the
 * main thread, which only waits. So do the JIT compilers: at nice 19 they were starved on a saturated CPU, the hot
 * path stayed in less optimized code for many seconds, and HTTP 1 KiB at 64 connections made 17.5 k requests/s instead
 * of 24 k (README "Measured", 2026-12-07, later); a compiler running after the warmup still takes slices from the loops.
 * Only lowering a priority is asked for, which needs no privilege (the JVM warns that the policy "may require system
 * level permission" when not run as root; that warning is about raising priorities). The flags are given by
 * {@code ./tandem gateway}, by the processes that tests and the demo start, and by {@code tandem bench gateway}. Inside
 * an agent (the gateway role) they are not: there the control plane's threads must not wait behind anything, and
 * without the flags the JVM ignores Java priorities.
 */
public final class ThreadPriorities {
    /**
     * Java priority of the proxy's event loops: nice 0 under {@link #JVM_FLAGS}. 7 because no thread of the JVM's own has
     * it: its periodic task thread and reference handler have 10, its signal thread 9, its finalizer and cleaner 8, and
     * the rest 5; all of those get nice 19. (Its service, monitor-deflation and notification threads get no priority
     * set by the JVM and keep nice 0; they wake rarely.)
     */
    public static final int EVENT_LOOP = Thread.NORM_PRIORITY + 2;
    /** Java priority of the gateway's other threads (admin API, cluster watcher): nice 19 under {@link #JVM_FLAGS}. */
    public static final int HELPER = Thread.MIN_PRIORITY;
    /** The JVM flags, space-separated (a constant, so that a benchmark's default flags can include it). */
    public static final String JVM_FLAGS_LINE = "-XX:ThreadPriorityPolicy=1"
            + " -XX:JavaPriority1_To_OSPriority=19 -XX:JavaPriority2_To_OSPriority=19 -XX:JavaPriority3_To_OSPriority=19"
            + " -XX:JavaPriority4_To_OSPriority=19 -XX:JavaPriority5_To_OSPriority=19 -XX:JavaPriority6_To_OSPriority=19"
            + " -XX:JavaPriority7_To_OSPriority=0 -XX:JavaPriority8_To_OSPriority=19 -XX:JavaPriority9_To_OSPriority=19"
            + " -XX:JavaPriority10_To_OSPriority=19 -XX:CompilerThreadPriority=0 -XX:VMThreadPriority=0";
    public static final List<String> JVM_FLAGS = List.of(JVM_FLAGS_LINE.split(" "));

    private ThreadPriorities() {}

    /**
     * The nice values this JVM's threads have now, by kind, e.g. {@code admin=19 compiler=0 io=0 watch=19},
     * read from /proc; "unknown" where there is no /proc.
     */
    static String describe() {
        Map<String, Set<Integer>> byKind = new TreeMap<>();
        try (Stream<Path> ts = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : ts.toList()) {
                try {
                    String kind = kind(Files.readString(t.resolve("comm")).strip());
                    if (kind == null) continue;
                    String stat = Files.readString(t.resolve("stat"));
                    // after the ")" that ends the name: state is field 3, nice field 19
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    byKind.computeIfAbsent(kind, k -> new TreeSet<>()).add(Integer.parseInt(f[16]));
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return "unknown";
        }
        if (byKind.isEmpty()) return "unknown";
        StringBuilder s = new StringBuilder();
        byKind.forEach((k, v) -> s.append(s.isEmpty() ? "" : " ").append(k).append('=')
                .append(String.join(",", v.stream().map(String::valueOf).toList())));
        return s.toString();
    }

    /** The kind of thread a name (its first 15 characters) is, or null for one not worth naming. */
    static String kind(String comm) {
        if (comm.startsWith("tandem-gw-io")) return "io";
        if (comm.startsWith("tandem-gw-watch")) return "watch";
        if (comm.startsWith("tandem-gw-admin")) return "admin";
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) return "compiler";
        if (comm.startsWith("HttpClient-")) return "http_client";
        return null;
    }
}
