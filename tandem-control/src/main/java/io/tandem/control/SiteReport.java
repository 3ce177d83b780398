package io.tandem.control;

import java.util.Map;
import java.util.TreeMap;

/** What an agent tells the leader with each heartbeat. */
public record SiteReport(String site, boolean fenced, Map<String, ResourceReport> resources) {
    public SiteReport {
        resources = java.util.Collections.unmodifiableMap(new TreeMap<>(resources));
    }

    public static SiteReport none(String site) {
        return new SiteReport(site, true, Map.of());
    }
}
