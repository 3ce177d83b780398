package io.tandem.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The simulation's event log. Off in the bulk run (building strings for ten thousand schedules costs more than
 * simulating them); a failing seed is replayed with the log on, which gives the same events since the run is
 * deterministic.
 */
public final class StepLog {
    private final boolean enabled;
    private final List<String> lines = new ArrayList<>();

    public StepLog(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean enabled() {
        return enabled;
    }

    public void add(long now, Supplier<String> line) {
        if (enabled) lines.add(String.format("t=%6d %s", now, line.get()));
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** The last {@code n} lines, one per line. */
    public String tail(int n) {
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}
