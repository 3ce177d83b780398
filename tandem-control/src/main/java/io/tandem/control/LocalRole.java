package io.tandem.control;

/** What an agent does with a resource right now: serve writes, follow, or refuse writes because it is fenced. */
public enum LocalRole { PRIMARY, STANDBY, FENCED }
