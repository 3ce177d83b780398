package io.tandem.model.state;

/** A Raft member as the cluster state knows it; {@code sinceMs} is when its health last changed (leader's wall clock). */
public record PeerRecord(String name, boolean witness, PeerHealth health, long sinceMs, String reason) {
    public PeerRecord with(PeerHealth h, long at, String why) {
        return new PeerRecord(name, witness, h, at, why);
    }
}
