package io.tandem.model.state;

/** A peer's health as decided by the Raft leader. UNKNOWN: never heard from since the cluster was formed. */
public enum PeerHealth { UNKNOWN, HEALTHY, FAILED }
