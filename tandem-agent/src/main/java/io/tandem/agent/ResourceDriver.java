package io.tandem.agent;

/**
 * What the agent asks of the driver of a replicated resource it hosts. Drivers (PostgreSQL, the object
 * store...) plug in here in later issues; they know nothing of Raft.
 */
public interface ResourceDriver {
    /** Stop accepting writes now: the lease was lost. Must be quick and must not need the network. */
    void fence(String reason);

    /** Accept writes as the primary at this epoch. */
    void promote(long epoch, String reason);

    /** Follow the primary (or wait for one) without accepting writes. */
    void follow(long epoch, String reason);

    /** On a primary in sync mode: acknowledge a write only once these sites have it (PostgreSQL synchronous_standby_names). */
    void waitFor(java.util.Set<String> sites);

    /** Position of this copy (e.g. replayed LSN); 0 when the resource has no notion of one. */
    long position();
}
