package io.tandem.model.config;

/** What an API user may do: viewer reads, operator also changes the cluster, admin also manages users. */
public enum Role {
    VIEWER, OPERATOR, ADMIN;

    public boolean allows(Role needed) {
        return this.ordinal() >= needed.ordinal();
    }
}
