package io.tandem.postgres;

import java.time.Duration;
import java.util.List;

/** What a probe saw: the server is down, a primary, or a standby. */
public sealed interface PgStatus {
    /** Not reachable over SQL; {@code reason} is the connection error. */
    record Down(String reason) implements PgStatus {}

    /**
     * A primary at {@code currentLsn} on {@code timeline}, waiting per {@code syncStandbyNames}, with
     * the standbys actually connected to it now.
     */
    record Primary(Lsn currentLsn, int timeline, String syncStandbyNames, List<ReplicaState> standbys)
            implements PgStatus {
        public Primary {
            standbys = List.copyOf(standbys);
        }

        /** True if {@code site} is streaming and has flushed everything this primary has written. */
        public boolean caughtUp(String site) {
            return standby(site).map(s -> s.state().equals("streaming") && s.flushLsn().compareTo(currentLsn) >= 0)
                    .orElse(false);
        }

        /** The connected standby named {@code site}, if any. */
        public java.util.Optional<ReplicaState> standby(String site) {
            return standbys.stream().filter(s -> s.name().equals(site)).findFirst();
        }
    }

    /**
     * A standby. {@code receiveLsn}: WAL flushed locally; {@code replayLsn}: WAL applied;
     * {@code upstreamLsn}: the upstream's position as last reported to the WAL receiver (ZERO when
     * not streaming). {@code lagBytes} = upstreamLsn (or receiveLsn) minus replayLsn;
     * {@code lagTime} = age of the last replayed transaction while WAL is outstanding, else zero.
     */
    record Standby(Lsn receiveLsn, Lsn replayLsn, Lsn upstreamLsn, long lagBytes, Duration lagTime,
                   boolean streaming, String upstreamHost, int timeline) implements PgStatus {}

    /** One row of pg_stat_replication on the primary. */
    record ReplicaState(String name, String clientAddr, String state, Lsn sentLsn, Lsn writeLsn, Lsn flushLsn,
                        Lsn replayLsn, Duration replayLag, SyncState syncState) {}

    /** pg_stat_replication.sync_state: whether the primary waits for this standby. */
    enum SyncState {
        ASYNC, POTENTIAL, SYNC, QUORUM;

        static SyncState of(String s) {
            return s == null ? ASYNC : valueOf(s.toUpperCase(java.util.Locale.ROOT));
        }

        /** The primary's commits wait for this standby (alone or as one of a quorum). */
        public boolean waitedFor() {
            return this == SYNC || this == QUORUM;
        }
    }
}
