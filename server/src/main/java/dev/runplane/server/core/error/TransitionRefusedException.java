package dev.runplane.server.core.error;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.ExecutionState;

/** The transition table has no edge for this action from the current status. */
public final class TransitionRefusedException extends RunplaneException {

    private final ExecutionState from;
    private final Action action;

    public TransitionRefusedException(ExecutionState from, Action action) {
        super(Kind.TRANSITION_REFUSED, "TRANSITION_REFUSED",
                entries("action", action.name(), "status", from == null ? null : from.name()),
                from == null
                        ? action + " cannot create an execution"
                        : "cannot " + action + " an execution that is " + from, null);
        this.from = from;
        this.action = action;
    }

    /** The status the execution had; null when the action tried to create one. */
    public ExecutionState from() {
        return this.from;
    }

    public Action action() {
        return this.action;
    }
}
