package dev.runplane.server.core;

/** The lifecycle status of an execution. Changes only through {@link Transitions}. */
public enum ExecutionState {
    QUEUED,
    RUNNING,
    CANCELLING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    TIMED_OUT,
    SKIPPED;

    /** An execution in an active status holds its dedup key and may still change. */
    public boolean isActive() {
        return this == QUEUED || this == RUNNING || this == CANCELLING;
    }

    public boolean isTerminal() {
        return !isActive();
    }
}
