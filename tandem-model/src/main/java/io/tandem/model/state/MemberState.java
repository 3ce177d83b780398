package io.tandem.model.state;

/**
 * A site's role for one replicated resource, derived from the cluster state (see
 * {@link ClusterState#memberState}). Only PRIMARY accepts writes; only SYNC_STANDBY may be promoted in sync mode.
 */
public enum MemberState { UNKNOWN, CATCHING_UP, SYNC_STANDBY, PRIMARY, FAILED }
