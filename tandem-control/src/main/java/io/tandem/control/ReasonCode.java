package io.tandem.control;

/** Why the controller did (or did not do) something. Tests assert on these; people read the message. */
public enum ReasonCode {
    INITIALIZE,
    CONFIG_CHANGED,
    PEER_JOINED,
    PEER_FAILED,
    PEER_RETURNED,
    BOOTSTRAP_PRIMARY,
    CAUGHT_UP,
    FAILOVER_STARTED,
    FAILOVER_FENCED_OLD,
    FAILOVER_SELECTED,
    FAILOVER_PROMOTED,
    FAILOVER_CONFIRMED,
    FAILOVER_ABORTED,
    FAILOVER_BLOCKED,
    FAILBACK,
    SWITCHOVER_STOP_WRITES,
    SWITCHOVER_CAUGHT_UP,
    SWITCHOVER_PROMOTED,
    SWITCHOVER_DONE,
    SWITCHOVER_ABORTED,
    WAITING,
    STEADY
}
