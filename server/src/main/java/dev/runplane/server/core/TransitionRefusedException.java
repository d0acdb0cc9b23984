package dev.runplane.server.core;

/** The transition table has no edge for this action from the current status. */
public final class TransitionRefusedException extends RuntimeException {

    private final ExecutionState from;
    private final Action action;

    public TransitionRefusedException(ExecutionState from, Action action) {
        super(from == null
                ? action + " cannot create an execution"
                : "cannot " + action + " an execution that is " + from);
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
