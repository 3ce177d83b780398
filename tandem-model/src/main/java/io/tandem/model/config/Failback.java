package io.tandem.model.config;

/** After a failover, whether the primary moves back to the preferred site once it is in sync again (auto) or only by an operator. */
public enum Failback { AUTO, MANUAL }
