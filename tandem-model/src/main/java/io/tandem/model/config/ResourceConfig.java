package io.tandem.model.config;

import java.util.List;

/** A replicated resource (a database, the object store, an application) and the sites that hold copies of it. */
public record ResourceConfig(String name, ResourceKind kind, ReplicationMode mode, DataSize maxLagOnFailover,
                             List<String> sites, int port, SyncCommit syncCommit, Failback failback, Location location) {
    public ResourceConfig {
        sites = List.copyOf(sites);
    }
}
