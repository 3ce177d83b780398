package io.tandem.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * During each warmup of a runner, twice closes and reopens the system's client connections: a second load of wrk (1 s,
 * the same connection count and URL as the runner's) at a third and at two thirds of the warmup.
 *
 * <p>Why: the peer runner starts the measured wrk the moment its warmup wrk ends, so the measured run begins with
 * the warmup's connections closing and new ones opening. A JVM that has only seen connections carry requests has its
 * hottest methods compiled with the close branches left out (C2's uncommon traps): the first close deoptimized the
 * gateway's epoll loop, its read and its flush ({@code -Xlog:deoptimization}: 15 methods within 4 ms of the warmup's
 * end), which then ran in the interpreter and C1 for the first ~0.6 s of the measured window while C2 compiled them
 * again. A production gateway sees connections close from its first seconds on, so its code has these paths in it;
 * closing connections during the warmup gives the measured run the same code, and does the same for every system
 * (HAProxy and nginx, which have no JIT, lose nothing by it). Turned off with {@code --no-warmup-reconnects}.
 */
final class WarmupReconnects extends Thread {
    /** The runner logs this right before each warmup ({@code wait_quiet} in the peers' lib.sh). */
    static final String WARMUP_STARTS = "background load";
    static final int MIN_WARMUP_SECONDS = 6;

    private final Path runnerLog;
    private final int warmupSeconds;
    private final List<String> urls;
    private final int connections;
    private final String wrkCpus;
    private final Consumer<String> log;

    /**
     * @param urls the URL of each warmup the runner will run, in order (each size of SIZES, REPEAT times)
     */
    WarmupReconnects(Path runnerLog, int warmupSeconds, List<String> urls, int connections, String wrkCpus, Consumer<String> log) {
        super("warmup-reconnects");
        setDaemon(true);
        this.runnerLog = runnerLog;
        this.warmupSeconds = warmupSeconds;
        this.urls = urls;
        this.connections = connections;
        this.wrkCpus = wrkCpus;
        this.log = log;
    }

    /** The URLs of a runner's warmups, in order: for each size of {@code sizes} (SIZES), {@code repeat} times. */
    static List<String> warmupUrls(int port, String sizes, int repeat) {
        List<String> urls = new java.util.ArrayList<>();
        for (String s : sizes.trim().split("\\s+")) {
            for (int r = 0; r < repeat; r++) urls.add("http://127.0.0.1:" + port + "/" + s);
        }
        return urls;
    }

    /** Lines of {@code text} that announce a warmup. */
    static int warmupsStarted(String text) {
        int n = 0;
        for (int i = text.indexOf(WARMUP_STARTS); i >= 0; i = text.indexOf(WARMUP_STARTS, i + 1)) n++;
        return n;
    }

    @Override
    public void run() {
        CpuPin.pinCallingThread(wrkCpus);
        try {
            int seen = 0;
            while (!isInterrupted() && seen < urls.size()) {
                int started = 0;
                try {
                    started = warmupsStarted(Files.readString(runnerLog, StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    // not written yet
                }
                if (started > seen) {
                    seen = started;
                    String url = urls.get(seen - 1);
                    long t0 = System.nanoTime();
                    for (int k = 1; k <= 2; k++) {
                        long at = t0 + TimeUnit.MILLISECONDS.toNanos(warmupSeconds * 1000L * k / 3);
                        long wait = at - System.nanoTime();
                        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                        reconnect(url);
                    }
                    log.accept("warmup " + seen + ": " + connections + " connections closed and reopened twice (" + url + ")");
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            // the runner ended
        }
    }

    /** One second of wrk with the runner's connection count: they open, carry requests, and close with requests in flight. */
    private void reconnect(String url) throws InterruptedException {
        try {
            Process p = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d1s", "--timeout", "2s", url)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                throw e;
            }
        } catch (IOException e) {
            log.accept("warmup reconnects: wrk did not start: " + e.getMessage());
        }
    }
}
