package io.tandem.agent;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver for a declared resource whose real driver has not been written yet: it records and logs
 * every fence, promote and follow, so fencing is visible in status and testable end to end.
 */
final class RecordingDriver implements ResourceDriver {
    private static final Logger LOG = LoggerFactory.getLogger(RecordingDriver.class);
    private static final int KEEP = 50;

    private final String site;
    private final String resource;
    private final List<String> events = new ArrayList<>();

    RecordingDriver(String site, String resource) {
        this.site = site;
        this.resource = resource;
    }

    @Override
    public synchronized void fence(String reason) {
        note("fence", reason);
    }

    @Override
    public synchronized void promote(long epoch, String reason) {
        note("promote epoch=" + epoch, reason);
    }

    @Override
    public synchronized void follow(long epoch, String reason) {
        note("follow epoch=" + epoch, reason);
    }

    private java.util.Set<String> waitFor = java.util.Set.of();

    @Override
    public synchronized void waitFor(java.util.Set<String> sites) {
        if (!sites.equals(waitFor)) {
            waitFor = java.util.Set.copyOf(sites);
            note("wait-for " + new java.util.TreeSet<>(sites), "sync standbys changed");
        }
    }

    @Override
    public long position() {
        return 0;
    }

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    private void note(String what, String reason) {
        LOG.info("event=driver-{} site={} resource={} reason=\"{}\"", what.split(" ")[0], site, resource, reason);
        events.add(what + ": " + reason);
        if (events.size() > KEEP) events.remove(0);
    }
}
