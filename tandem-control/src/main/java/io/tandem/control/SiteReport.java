package io.tandem.control;

import java.util.Map;
import java.util.TreeMap;

/**
 * What an agent tells the leader with each heartbeat. {@code knownVersion}: the version of the cluster state its
 * roles follow (the last one a quorum gave it), so a decision can wait for a report made after a given entry.
 */
public record SiteReport(String site, boolean fenced, Map<String, ResourceReport> resources, long knownVersion) {
    public SiteReport {
        resources = java.util.Collections.unmodifiableMap(new TreeMap<>(resources));
    }

    public SiteReport(String site, boolean fenced, Map<String, ResourceReport> resources) {
        this(site, fenced, resources, 0);
    }

    public static SiteReport none(String site) {
        return new SiteReport(site, true, Map.of(), 0);
    }
}
