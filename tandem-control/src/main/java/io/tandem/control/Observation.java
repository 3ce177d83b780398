package io.tandem.control;

/**
 * What the leader knows of one peer. {@code heard}: a heartbeat arrived since this leader took office.
 * {@code heardAgoMs}: time since that heartbeat, or since the leader took office when none has arrived,
 * so a new leader grants every peer a full fail_after before declaring it failed.
 */
public record Observation(String peer, boolean heard, long heardAgoMs, SiteReport report) {}
