package io.tandem.agent;

import java.util.Set;

/**
 * What the agent asks of the driver of a replicated resource it hosts. The agent calls these from its
 * lease loop, so they must return at once: a driver runs long actions (a clone, a rewind) on its own
 * thread and shows them in {@link DriverStatus#action()}. Drivers know nothing of Raft.
 */
public interface ResourceDriver extends AutoCloseable {
    /** Stop accepting writes now: the lease was lost. Must not need the network. */
    void fence(String reason);

    /**
     * A planned stop of writes (a switchover): refuse new writes, let the standbys receive everything, and
     * report the final position. Reads may go on. A later {@link #fence} must still stop everything.
     */
    default void stopWrites(String reason) {
        fence(reason);
    }

    /**
     * Accept writes as the primary at this epoch. {@code waitFor}: in sync mode, the epoch's in-sync standbys, which
     * must have every write the new primary acknowledges, from its first one on.
     */
    void promote(long epoch, Set<String> waitFor, String reason);

    /** Follow {@code primarySite} ("" when no primary is chosen yet) without accepting writes. */
    void follow(String primarySite, long epoch, String reason);

    /** On a primary in sync mode: acknowledge a write only once these sites have it (PostgreSQL synchronous_standby_names). */
    void waitFor(Set<String> sites);

    /** What the driver is doing now. */
    DriverStatus status();

    @Override
    default void close() {}
}
