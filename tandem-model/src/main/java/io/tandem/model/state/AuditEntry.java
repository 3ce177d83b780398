package io.tandem.model.state;

/** Who did what, when: appended for every mutation made through the API or CLI. */
public record AuditEntry(long atMs, String who, String action, String detail) {}
