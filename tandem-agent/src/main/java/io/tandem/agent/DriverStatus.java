package io.tandem.agent;

import io.tandem.control.LocalRole;
import java.util.List;

/**
 * A driver's own account of its resource.
 *
 * @param serving the role in effect now (a promotion or a clone may still be under way)
 * @param epoch the epoch of that role
 * @param position replayed or written position (LSN); 0 where there is none
 * @param tracksReplication whether {@code caughtUp} comes from real replication status; if not, the
 *     agent counts every healthy follower as caught up
 * @param caughtUp on a primary: the standbys streaming and caught up with it
 * @param waitingFor on a primary: the standbys it waits for now before acknowledging a write
 * @param lagBytes on a standby: how far its replay is behind its upstream; 0 on a primary, -1 when unknown
 * @param action the long action under way ("" when none), shown in status
 * @param lastError the last failure ("" when none), shown in status
 * @param notStreamingMs for how long the copy has not done its role's work: on a standby, not receiving from its primary
 *     (down, hung, cut off); on a primary, not answering as one; 0 while it works, and in other roles
 */
public record DriverStatus(LocalRole serving, long epoch, long position, boolean tracksReplication, List<String> caughtUp,
                           java.util.Set<String> waitingFor, long lagBytes, String action, String lastError, long notStreamingMs) {
    public DriverStatus {
        caughtUp = List.copyOf(caughtUp);
        waitingFor = java.util.Set.copyOf(waitingFor);
    }
}
