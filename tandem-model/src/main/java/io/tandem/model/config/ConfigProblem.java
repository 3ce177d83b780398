package io.tandem.model.config;

/** One mistake in a config file: where, what, and what to do about it. */
public record ConfigProblem(Location location, String message, String hint) {
    @Override
    public String toString() {
        return location + ": " + message + (hint.isEmpty() ? "" : "\n    hint: " + hint);
    }
}
