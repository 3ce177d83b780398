package io.tandem.model.config;

import java.time.Duration;

/** Failure detection and fencing timing. The invariant fence_after &lt; fail_after is checked at load. */
public record TimingConfig(Duration heartbeat, Duration failAfter, Duration fenceAfter,
                           Duration electionTimeoutMin, Duration electionTimeoutMax, Duration failbackAfter) {
    public TimingConfig(Duration heartbeat, Duration failAfter, Duration fenceAfter, Duration electionTimeoutMin, Duration electionTimeoutMax) {
        this(heartbeat, failAfter, fenceAfter, electionTimeoutMin, electionTimeoutMax, ConfigKeys.FAILBACK_AFTER.defaultValue());
    }

    public static TimingConfig defaults() {
        return new TimingConfig(ConfigKeys.HEARTBEAT.defaultValue(), ConfigKeys.FAIL_AFTER.defaultValue(),
                ConfigKeys.FENCE_AFTER.defaultValue(), ConfigKeys.ELECTION_MIN.defaultValue(), ConfigKeys.ELECTION_MAX.defaultValue(),
                ConfigKeys.FAILBACK_AFTER.defaultValue());
    }
}
