package io.tandem.control;

import io.tandem.model.state.Command;
import java.util.Optional;

/**
 * The controller's answer: at most one Raft entry to append, and why. The executor appends it, applies it,
 * and asks again, so every step of a runbook is its own log entry and a new leader can resume between any two.
 */
public record Decision(Optional<Command> command, Optional<Transition> transition, Reason reason) {
    public static Decision idle(ReasonCode code, String message) {
        return new Decision(Optional.empty(), Optional.empty(), new Reason(code, message));
    }

    public static Decision of(Command c, Transition t, ReasonCode code, String message) {
        return new Decision(Optional.of(c), Optional.ofNullable(t), new Reason(code, message));
    }
}
