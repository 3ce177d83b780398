package io.tandem.control;

/** A change of an agent's local role for one resource, for the agent to carry out through the resource's driver. */
public record LocalChange(String resource, LocalRole from, LocalRole to, long epoch, String reason) {}
