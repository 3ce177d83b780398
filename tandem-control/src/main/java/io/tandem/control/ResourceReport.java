package io.tandem.control;

/** An agent's report on one resource it hosts: its local role, the epoch it acts under, and its position (LSN). */
public record ResourceReport(LocalRole role, long epoch, long lsn) {}
