package io.tandem.model.state;

import java.util.ArrayList;
import java.util.List;

/** A transition (failover, switchover, rejoin...) as a sequence of recorded steps, so a new leader can resume it. */
public record Runbook(long id, String kind, String resource, String fromSite, String toSite, RunbookStatus status,
                      long startedMs, long endedMs, List<RunbookStep> steps) {
    public Runbook {
        steps = List.copyOf(steps);
    }

    public boolean running() {
        return status == RunbookStatus.RUNNING;
    }

    public boolean done(String step) {
        return steps.stream().anyMatch(s -> s.step().equals(step));
    }

    public Runbook withStep(RunbookStep s, String target) {
        List<RunbookStep> all = new ArrayList<>(steps);
        all.add(s);
        return new Runbook(id, kind, resource, fromSite, target, status, startedMs, endedMs, all);
    }

    public Runbook ended(RunbookStatus st, RunbookStep last) {
        List<RunbookStep> all = new ArrayList<>(steps);
        all.add(last);
        return new Runbook(id, kind, resource, fromSite, toSite, st, startedMs, last.atMs(), all);
    }
}
