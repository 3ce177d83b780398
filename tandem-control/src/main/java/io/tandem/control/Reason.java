package io.tandem.control;

/** One reason per decision: a code for tests and a plain sentence for people, logged once. */
public record Reason(ReasonCode code, String message) {
    @Override
    public String toString() {
        return code + ": " + message;
    }
}
