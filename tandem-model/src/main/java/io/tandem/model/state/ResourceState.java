package io.tandem.model.state;

import java.util.List;

/**
 * One replicated resource: its primary site ("" before the first election), the epoch of that primary
 * (incremented by every promotion) and the in-sync set, the sites that have every acknowledged write.
 * {@code leaving}: in-sync sites the primary has been asked to stop waiting for (their copy stopped streaming).
 * They stay in the in-sync set, and so stay failover candidates, until the primary reports it no longer waits for
 * them; only then are they removed, and only after that removal is committed does the primary acknowledge a write
 * without them. A primary lost in between leaves them with every acknowledged write, so they can be promoted.
 */
public record ResourceState(String name, String primary, long epoch, List<String> inSync, List<String> members, List<String> leaving) {
    public ResourceState {
        inSync = List.copyOf(inSync);
        members = List.copyOf(members);
        leaving = leaving == null ? List.of() : leaving.stream().filter(inSync::contains).sorted().toList();
    }

    public ResourceState(String name, String primary, long epoch, List<String> inSync, List<String> members) {
        this(name, primary, epoch, inSync, members, List.of());
    }

    public boolean hasPrimary() {
        return !primary.isEmpty();
    }

    /** The in-sync sites a primary is to wait for: the in-sync set less the sites leaving it. */
    public List<String> required() {
        return inSync.stream().filter(s -> !leaving.contains(s)).toList();
    }

    public ResourceState withInSync(List<String> sites) {
        return new ResourceState(name, primary, epoch, sites, members, leaving);
    }

    public ResourceState withLeaving(List<String> sites) {
        return new ResourceState(name, primary, epoch, inSync, members, sites);
    }

    /** A new primary at a new epoch: it waits for all of {@code sync} from its first write, so nothing is leaving. */
    public ResourceState promoted(String site, long newEpoch, List<String> sync) {
        return new ResourceState(name, site, newEpoch, sync, members, List.of());
    }
}
