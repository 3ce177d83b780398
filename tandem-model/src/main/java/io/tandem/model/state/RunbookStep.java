package io.tandem.model.state;

/** One step of a runbook as recorded in the Raft log. */
public record RunbookStep(String step, String site, long epoch, String outcome, long atMs) {}
