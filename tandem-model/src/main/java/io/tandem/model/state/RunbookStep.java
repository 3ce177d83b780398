package io.tandem.model.state;

/**
 * One step of a runbook as recorded in the Raft log. {@code version}: the version of the cluster state that
 * first holds the step, so the controller can tell whether an agent's report was made after it saw the step.
 */
public record RunbookStep(String step, String site, long epoch, String outcome, long atMs, long version) {}
