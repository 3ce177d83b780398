package io.tandem.control;

/**
 * One row of a transition table: a state machine, the states it moves between, the reason, and the
 * condition in words. Rows are data; {@link Fsm} prints them and a golden-file test guards them.
 */
public record Transition(String machine, Enum<?> from, Enum<?> to, ReasonCode reason, String when) {}
