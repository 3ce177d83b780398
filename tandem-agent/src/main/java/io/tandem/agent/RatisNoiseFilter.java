package io.tandem.agent;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Marker;

/**
 * Ratis logs a WARN or ERROR with a stack trace for every failed reconnect to a peer that is down,
 * several per second. This lets one line of each kind through per minute; our own code reports peer
 * state changes (quorum lost, peer failed) as single lines.
 */
public final class RatisNoiseFilter extends TurboFilter {
    private static final long QUIET_MS = 60_000;
    private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (format == null || !logger.getName().startsWith("org.apache.ratis")) {
            return FilterReply.NEUTRAL;
        }
        if (!level.isGreaterOrEqual(Level.WARN)) {
            return FilterReply.NEUTRAL;
        }
        String key = logger.getName() + "|" + format;
        long now = System.currentTimeMillis();
        Long last = lastSeen.get(key);
        if (last != null && now - last < QUIET_MS) {
            return FilterReply.DENY;
        }
        if (lastSeen.size() > 10_000) lastSeen.clear();
        lastSeen.put(key, now);
        return FilterReply.NEUTRAL;
    }
}
