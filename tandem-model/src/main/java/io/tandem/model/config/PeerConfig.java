package io.tandem.model.config;

/**
 * A site or the witness: one Raft peer with its addresses. {@code priority}: for a site, its preference
 * as primary; for the witness, 1 when it is the preferred Raft leader (witness.preferred_leader), else 0.
 */
public record PeerConfig(String name, PeerKind kind, String address, int raftPort, int apiPort,
                         boolean primaryEligible, int priority, Location location) {

    public String raftAddress() {
        return address + ":" + raftPort;
    }

    public String apiUrl() {
        return "http://" + address + ":" + apiPort;
    }

    /** The witness that should lead Raft when it runs steadily (witness.preferred_leader): losing a site then rarely costs an election. */
    public boolean preferredLeader() {
        return isWitness() && priority > 0;
    }

    public boolean isWitness() {
        return kind == PeerKind.WITNESS;
    }
}
