package io.tandem.agent;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.tandem.control.SiteReport;

/** Read-only requests answered by the Raft leader's state machine (linearizable: the leader confirms its quorum first). */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Query.Heartbeat.class, name = "heartbeat"),
        @JsonSubTypes.Type(value = Query.Status.class, name = "status"),
})
public sealed interface Query {
    /** An agent's heartbeat; the answer is the cluster state, which tells the agent its role. */
    record Heartbeat(String peer, SiteReport report) implements Query {}

    /** The leader's whole view, for status and the API. */
    record Status() implements Query {}
}
