package io.tandem.testkit;

import io.tandem.control.Fsm;
import io.tandem.control.Transition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Which declared transitions the simulated schedules reached, and how often; shared across a bulk run. */
public final class Coverage {
    private final Map<Transition, Long> reached = new LinkedHashMap<>();

    public void reached(Transition t) {
        reached.merge(t, 1L, Long::sum);
    }

    public long count(Transition t) {
        return reached.getOrDefault(t, 0L);
    }

    public List<Transition> missing() {
        return Fsm.all().stream().filter(t -> !reached.containsKey(t)).toList();
    }

    public String summary() {
        StringBuilder b = new StringBuilder();
        for (Transition t : Fsm.all()) {
            b.append(String.format("  %-6s %-12s -> %-12s %-18s %d%n", t.machine(), t.from(), t.to(), t.reason(), count(t)));
        }
        return b.toString();
    }
}
