package io.tandem.model.config;

/** sync: a write is acknowledged only when every in-sync site has it (zero data loss); async: bounded lag. */
public enum ReplicationMode { SYNC, ASYNC }
