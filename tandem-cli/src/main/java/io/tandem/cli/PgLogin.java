package io.tandem.cli;

/** A database login: the user and its password (null: none). Printing it never shows the password. */
public record PgLogin(String user, String password) {
    @Override
    public String toString() {
        return user + (password == null ? "" : " (password set)");
    }
}
