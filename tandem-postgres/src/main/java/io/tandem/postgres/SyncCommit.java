package io.tandem.postgres;

/** synchronous_commit: how far a commit waits. ON (flushed on the sync standbys) is the zero-loss default. */
public enum SyncCommit {
    OFF, LOCAL, REMOTE_WRITE, ON, REMOTE_APPLY;

    public String setting() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
