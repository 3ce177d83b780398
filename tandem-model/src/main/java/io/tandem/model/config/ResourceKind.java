package io.tandem.model.config;

/** What a replicated resource is; each kind is driven by its own driver module. */
public enum ResourceKind { POSTGRES, STORE, PROCESS }
