package io.tandem.control;

import java.util.List;

/**
 * An agent's report on one resource it hosts: its local role, the epoch it acts under, and its position (LSN).
 * {@code syncStandbys}: on a primary, the sites it already waits for before acknowledging a write (PostgreSQL
 * {@code synchronous_standby_names}). In sync mode a standby enters the in-sync set only once its primary
 * reports waiting for it; otherwise the primary acknowledges writes without it until it learns of the entry.
 * {@code ready}: the resource's driver has carried out {@code role} at {@code epoch} (a promotion or a clone
 * takes time); a failover is confirmed only by a ready report. {@code notStreamingMs}: on a standby, for how long its
 * copy has not been receiving from the primary (server down, hung or disconnected), 0 while it streams; on a primary,
 * for how long its server has not answered as a primary. An in-sync standby that stops for fail_after while its
 * primary works leaves the in-sync set, so the primary's writes do not wait for it for ever.
 */
public record ResourceReport(LocalRole role, long epoch, long lsn, List<String> syncStandbys, boolean ready, long notStreamingMs) {
    public ResourceReport {
        syncStandbys = syncStandbys == null ? List.of() : List.copyOf(syncStandbys);
    }

    public ResourceReport(LocalRole role, long epoch, long lsn, List<String> syncStandbys, boolean ready) {
        this(role, epoch, lsn, syncStandbys, ready, 0);
    }

    /** A report of a driver that carries out its role at once. */
    public ResourceReport(LocalRole role, long epoch, long lsn, List<String> syncStandbys) {
        this(role, epoch, lsn, syncStandbys, true);
    }

    /** A report of a copy that waits for no other site before acknowledging (a standby, or an async primary). */
    public ResourceReport(LocalRole role, long epoch, long lsn) {
        this(role, epoch, lsn, List.of(), true);
    }
}
