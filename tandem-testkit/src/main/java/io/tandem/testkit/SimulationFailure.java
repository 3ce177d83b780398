package io.tandem.testkit;

/** A broken invariant in one schedule, with the seed and the one line that replays it. */
public final class SimulationFailure extends RuntimeException {
    public static final String SEED_PROPERTY = "tandem.sim.seed";

    private final long seed;

    SimulationFailure(long seed, String topology, long atMs, String what, StepLog log) {
        this(seed, topology, atMs, what, log, null);
    }

    SimulationFailure(long seed, String topology, long atMs, String what, StepLog log, Throwable cause) {
        super("seed " + seed + " (" + topology + ") at t=" + atMs + "ms: " + what + "\n  reproduce: " + reproduction(seed)
                + (log.enabled() ? "\n--- step log (last 150 lines) ---\n" + log.tail(150) : ""), cause);
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    public static String reproduction(long seed) {
        return "./mvnw -o -pl tandem-testkit test -Dtest='SimulationTest#randomFaultSchedulesKeepEveryInvariant' -D" + SEED_PROPERTY + "=" + seed;
    }
}
