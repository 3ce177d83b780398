package io.tandem.agent;

import io.tandem.control.LocalRole;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver for a declared resource whose real driver has not been written yet: it records and logs
 * every fence, promote and follow and carries them out at once, so fencing is visible in status and
 * testable end to end.
 */
final class RecordingDriver implements ResourceDriver {
    private static final Logger LOG = LoggerFactory.getLogger(RecordingDriver.class);
    private static final int KEEP = 50;

    private final String site;
    private final String resource;
    private final List<String> events = new ArrayList<>();
    private LocalRole serving = LocalRole.FENCED;
    private long epoch;
    private Set<String> waitFor = Set.of();

    RecordingDriver(String site, String resource) {
        this.site = site;
        this.resource = resource;
    }

    @Override
    public synchronized void fence(String reason) {
        serving = LocalRole.FENCED;
        note("fence", reason);
    }

    @Override
    public synchronized void promote(long epoch, Set<String> waitFor, String reason) {
        serving = LocalRole.PRIMARY;
        this.epoch = epoch;
        note("promote epoch=" + epoch, reason);
    }

    @Override
    public synchronized void follow(String primarySite, long epoch, String reason) {
        serving = LocalRole.STANDBY;
        this.epoch = epoch;
        note("follow epoch=" + epoch + (primarySite.isEmpty() ? "" : " primary=" + primarySite), reason);
    }

    @Override
    public synchronized void waitFor(Set<String> sites) {
        if (!sites.equals(waitFor)) {
            waitFor = Set.copyOf(sites);
            note("wait-for " + new TreeSet<>(sites), "sync standbys changed");
        }
    }

    @Override
    public synchronized DriverStatus status() {
        return new DriverStatus(serving, epoch, 0, false, List.of(), waitFor, 0, "", "", 0);
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
