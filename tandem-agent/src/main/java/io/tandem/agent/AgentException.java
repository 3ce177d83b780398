package io.tandem.agent;

/** The agent cannot start or run; the message says what happened and what to do. */
public final class AgentException extends Exception {
    private static final long serialVersionUID = 1L;

    public AgentException(String message, Throwable cause) {
        super(message, cause);
    }
}
