package dev.runplane.server.core;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

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

    /** Every status in which an execution has ended for good (SQL lists and the awaits' filter use it). */
    public static final Set<ExecutionState> TERMINAL = Collections.unmodifiableSet(
            Arrays.stream(values()).filter(ExecutionState::isTerminal)
                    .collect(Collectors.toCollection(() -> EnumSet.noneOf(ExecutionState.class))));

    /** An execution in an active status holds its dedup key and may still change. */
    public boolean isActive() {
        return this == QUEUED || this == RUNNING || this == CANCELLING;
    }

    public boolean isTerminal() {
        return !isActive();
    }
}
