package io.tandem.control;

import java.util.List;

/**
 * An agent's report on one resource it hosts: its local role, the epoch it acts under, and its position (LSN).
 * {@code syncStandbys}: on a primary, the sites it already waits for before acknowledging a write (PostgreSQL
 * {@code synchronous_standby_names}). In sync mode a standby enters the in-sync set only once its primary
 * reports waiting for it; otherwise the primary acknowledges writes without it until it learns of the entry.
 */
public record ResourceReport(LocalRole role, long epoch, long lsn, List<String> syncStandbys) {
    public ResourceReport {
        syncStandbys = syncStandbys == null ? List.of() : List.copyOf(syncStandbys);
    }

    /** A report of a copy that waits for no other site before acknowledging (a standby, or an async primary). */
    public ResourceReport(LocalRole role, long epoch, long lsn) {
        this(role, epoch, lsn, List.of());
    }
}
