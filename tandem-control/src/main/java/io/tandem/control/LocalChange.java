package io.tandem.control;

/**
 * A change of an agent's local role for one resource, for the agent to carry out through the resource's driver.
 * {@code graceful}: a planned stop of writes (a switchover), not a lost lease: the driver may finish cleanly.
 */
public record LocalChange(String resource, LocalRole from, LocalRole to, long epoch, String reason, boolean graceful) {
    public LocalChange(String resource, LocalRole from, LocalRole to, long epoch, String reason) {
        this(resource, from, to, epoch, reason, false);
    }
}
