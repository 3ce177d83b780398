package io.tandem.model.state;

import java.util.List;

/**
 * One replicated resource: its primary site ("" before the first election), the epoch of that primary
 * (incremented by every promotion) and the in-sync set, the sites that have every acknowledged write.
 */
public record ResourceState(String name, String primary, long epoch, List<String> inSync, List<String> members) {
    public ResourceState {
        inSync = List.copyOf(inSync);
        members = List.copyOf(members);
    }

    public boolean hasPrimary() {
        return !primary.isEmpty();
    }

    public ResourceState withInSync(List<String> sites) {
        return new ResourceState(name, primary, epoch, sites, members);
    }

    public ResourceState promoted(String site, long newEpoch, List<String> sync) {
        return new ResourceState(name, site, newEpoch, sync, members);
    }
}
