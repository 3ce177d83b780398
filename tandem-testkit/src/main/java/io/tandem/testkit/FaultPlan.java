package io.tandem.testkit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * A random fault schedule: when each fault happens and of which kind. The victim of a fault is chosen when it
 * happens (for instance "crash whoever is primary now"), from the same seeded random source.
 */
public record FaultPlan(long faultsEndMs, List<Fault> faults) {
    public enum Kind {
        CRASH, CRASH_PRIMARY, CRASH_LEADER, RESTART, CUT, CUT_ONE_WAY, HEAL_LINK, ISOLATE, ISOLATE_PRIMARY, HEAL_ALL, DROP, DELAY,
        /** A site's database hangs for a while (SIGSTOP, a full disk) while its agent runs: it neither streams nor writes. */
        STALL_DB,
        /** The primary's database breaks for good (will not start, disk gone) while its agent runs; it stays broken in the quiet period. */
        BREAK_PRIMARY_DB,
        /** Not a fault: an operator asks for a planned switchover, which faults may then interrupt. */
        SWITCHOVER
    }

    public record Fault(long atMs, Kind kind) {}

    private static final Kind[] WEIGHTED = weighted();

    private static Kind[] weighted() {
        int[] w = {14, 10, 5, 16, 10, 8, 10, 8, 6, 6, 4, 3, 6, 4, 8};
        List<Kind> out = new ArrayList<>();
        for (Kind k : Kind.values()) {
            for (int i = 0; i < w[k.ordinal()]; i++) out.add(k);
        }
        return out.toArray(Kind[]::new);
    }

    /** Between one and eight faults in the first one to eight seconds; the quiet period follows. */
    public static FaultPlan random(Random rnd, int stepMs) {
        long end = stepMs * ((1000 + rnd.nextInt(7000)) / stepMs);
        int count = 1 + rnd.nextInt(8);
        List<Fault> faults = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long at = stepMs * (rnd.nextLong(end) / stepMs);
            faults.add(new Fault(at, WEIGHTED[rnd.nextInt(WEIGHTED.length)]));
        }
        faults.sort(Comparator.comparingLong(Fault::atMs));
        return new FaultPlan(end, List.copyOf(faults));
    }
}
