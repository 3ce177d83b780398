package io.tandem.model.config;

import java.time.Duration;

/** Failure detection and fencing timing. The invariant fence_after &lt; fail_after is checked at load. */
public record TimingConfig(Duration heartbeat, Duration failAfter, Duration fenceAfter,
                           Duration electionTimeoutMin, Duration electionTimeoutMax, Duration failbackAfter, Duration copyFailAfter) {
    public TimingConfig(Duration heartbeat, Duration failAfter, Duration fenceAfter, Duration electionTimeoutMin, Duration electionTimeoutMax) {
        this(heartbeat, failAfter, fenceAfter, electionTimeoutMin, electionTimeoutMax, ConfigKeys.FAILBACK_AFTER.defaultValue(),
                ConfigKeys.COPY_FAIL_AFTER.defaultValue());
    }

    /** How long a primary's copy may not work, its agent up, before it is replaced: the setting, or 4 x fail_after when it is 0. */
    @Override
    public Duration copyFailAfter() {
        return copyFailAfter.isZero() ? failAfter.multipliedBy(4) : copyFailAfter;
    }

    public static TimingConfig defaults() {
        return new TimingConfig(ConfigKeys.HEARTBEAT.defaultValue(), ConfigKeys.FAIL_AFTER.defaultValue(),
                ConfigKeys.FENCE_AFTER.defaultValue(), ConfigKeys.ELECTION_MIN.defaultValue(), ConfigKeys.ELECTION_MAX.defaultValue(),
                ConfigKeys.FAILBACK_AFTER.defaultValue(), ConfigKeys.COPY_FAIL_AFTER.defaultValue());
    }
}
