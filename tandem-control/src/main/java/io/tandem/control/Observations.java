package io.tandem.control;

import java.util.Map;
import java.util.TreeMap;

/** The leader's observations at one instant. {@code leaderForMs}: how long this peer has been the Raft leader. */
public record Observations(long leaderForMs, Map<String, Observation> peers) {
    public Observations {
        peers = java.util.Collections.unmodifiableMap(new TreeMap<>(peers));
    }

    public Observation of(String peer) {
        Observation o = peers.get(peer);
        return o != null ? o : new Observation(peer, false, leaderForMs, SiteReport.none(peer));
    }
}
