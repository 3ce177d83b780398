package io.tandem.agent;

import io.tandem.control.Observation;
import io.tandem.model.state.ClusterState;
import java.util.Map;

/** What the leader answers to a status query: who leads, since when, the state and its observations of every peer. */
public record LeaderView(String leader, long leaderForMs, ClusterState state, Map<String, Observation> observations, DecisionNote controller) {}
