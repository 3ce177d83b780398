package io.tandem.postgres;

/** A PostgreSQL operation failed; the message says what failed and what to do about it. */
public final class PgException extends RuntimeException {
    public PgException(String message) {
        super(message);
    }

    public PgException(String message, Throwable cause) {
        super(message, cause);
    }
}
