package io.tandem.model.config;

/** A site or the witness: one Raft peer with its addresses. */
public record PeerConfig(String name, PeerKind kind, String address, int raftPort, int apiPort,
                         boolean primaryEligible, int priority, Location location) {

    public String raftAddress() {
        return address + ":" + raftPort;
    }

    public String apiUrl() {
        return "http://" + address + ":" + apiPort;
    }

    public boolean isWitness() {
        return kind == PeerKind.WITNESS;
    }
}
