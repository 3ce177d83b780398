package io.tandem.postgres;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external command with a deadline and captures its combined output. */
final class Cmd {
    record Result(int exit, String output) {
        boolean ok() {
            return exit == 0;
        }
    }

    private Cmd() {}

    static Result run(List<String> command, Duration timeout) {
        return run(command, timeout, null);
    }

    /** As {@link #run(List, Duration)}, writing {@code stdin} (null: none) to the command's standard input. */
    static Result run(List<String> command, Duration timeout, String stdin) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (stdin == null) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p;
        try {
            p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new PgException("could not run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new PgException("timed out after " + timeout.toMillis() + " ms: " + String.join(" ", command));
            }
            reader.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new PgException("interrupted while running " + String.join(" ", command), e);
        }
        synchronized (out) {
            return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
        }
    }

    /** Runs the command and throws with its output when it exits non-zero. */
    static String check(List<String> command, Duration timeout, String what) {
        Result r = run(command, timeout);
        if (!r.ok()) {
            throw new PgException(what + " failed (exit " + r.exit() + "): " + String.join(" ", command)
                    + "\n" + tail(r.output(), 20));
        }
        return r.output();
    }

    static String tail(String text, int lines) {
        String[] all = text.strip().split("\n");
        int from = Math.max(0, all.length - lines);
        return String.join("\n", java.util.Arrays.asList(all).subList(from, all.length));
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buf)) > 0; ) {
                synchronized (out) {
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
