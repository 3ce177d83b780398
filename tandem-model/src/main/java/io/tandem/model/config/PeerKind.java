package io.tandem.model.config;

/** A member of the Raft group: a site that hosts resources, or the witness that only votes. */
public enum PeerKind { SITE, WITNESS }
