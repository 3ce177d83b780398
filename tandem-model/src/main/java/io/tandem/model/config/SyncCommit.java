package io.tandem.model.config;

/** PostgreSQL synchronous_commit for sync mode: on (standby flushed the WAL) or remote-apply (standby applied it). */
public enum SyncCommit { ON, REMOTE_APPLY }
