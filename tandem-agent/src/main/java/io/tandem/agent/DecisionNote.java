package io.tandem.agent;

/**
 * The leader controller's latest decision: what it did or why it waits (e.g. a failover blocked because no standby
 * is close enough), shown by {@code GET /v1/cluster} and {@code tandem status}. {@code sinceMs}: wall-clock time
 * (epoch ms) the controller first gave this reason.
 */
public record DecisionNote(String code, String message, long sinceMs) {
    static final DecisionNote NONE = new DecisionNote("", "", 0);
}
