package io.tandem.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps the bench's own helper threads off the measured proxy's CPUs. The gateway's runs need helpers HAProxy's do not
 * (the fake cluster the gateway long-polls, the sampler of its RSS); unpinned they ran now and then on the proxy's CPU,
 * 200-500 µs at a time during its slow reads (tandem-bench/probes, cpu-runs.bt). Linux threads inherit the CPUs of the
 * thread that starts them, so a thread pinned here passes its CPUs on to the threads it starts.
 */
final class CpuPin {
    private CpuPin() {}

    /**
     * The CPUs 0 to {@code n - 1} not in {@code cpuList} (taskset's syntax: "0", "0-1", "0,2-3"), in the same syntax; ""
     * when the list is empty (nothing pinned, so nothing to avoid) or leaves no CPU over.
     */
    static String complement(String cpuList, int n) {
        if (cpuList == null || cpuList.isBlank()) return "";
        TreeSet<Integer> taken = new TreeSet<>();
        for (String part : cpuList.trim().split(",")) {
            String[] ends = part.trim().split("-");
            int from = Integer.parseInt(ends[0].trim());
            int to = ends.length > 1 ? Integer.parseInt(ends[1].trim()) : from;
            for (int c = from; c <= to; c++) taken.add(c);
        }
        List<String> free = new ArrayList<>();
        for (int c = 0; c < n; c++) {
            if (!taken.contains(c)) free.add(Integer.toString(c));
        }
        return String.join(",", free);
    }

    /** Pins the calling thread to {@code cpus} (taskset -p on its own thread id); false, and nothing changed, when it cannot. */
    static boolean pinCallingThread(String cpus) {
        if (cpus.isBlank()) return false;
        try {
            String self = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString(); // PID/task/TID
            String tid = self.substring(self.lastIndexOf('/') + 1);
            Process p = new ProcessBuilder("taskset", "-p", "-c", cpus, tid).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes(); // until taskset exits
            return p.waitFor() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs {@code work} on a new thread pinned to {@code cpus} (when it can be), so the threads it starts are too. */
    static <T> T onCpus(String cpus, Callable<T> work) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            pinCallingThread(cpus);
            try {
                result.set(work.call());
            } catch (Exception e) {
                failure.set(e);
            }
        }, "bench-pinned-start");
        t.start();
        t.join();
        if (failure.get() != null) throw failure.get();
        return result.get();
    }

    /** The calling thread's allowed CPUs as Linux reports them (Cpus_allowed_list), or "" where it cannot be read. */
    static String allowedCpus() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/thread-self/status"), StandardCharsets.UTF_8)) {
                if (l.startsWith("Cpus_allowed_list:")) return l.substring(l.indexOf(':') + 1).trim();
            }
        } catch (IOException e) {
            // not Linux
        }
        return "";
    }
}
