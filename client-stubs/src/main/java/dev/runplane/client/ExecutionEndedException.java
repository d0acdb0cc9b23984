package dev.runplane.client;

import dev.runplane.v1.Execution;

/**
 * An awaited execution ended without succeeding. The subclass says how (failed, cancelled,
 * skipped); {@link #execution()} has the final state, with its error and message.
 */
public class ExecutionEndedException extends RuntimeException {

    private final transient Execution execution;

    ExecutionEndedException(String message, Execution execution) {
        super(message);
        this.execution = execution;
    }

    public Execution execution() {
        return execution;
    }

    /** FAILED or TIMED_OUT. */
    public static final class Failed extends ExecutionEndedException {
        Failed(Execution execution) {
            super("execution " + execution.getId() + " ended " + execution.getStatus()
                    + (execution.getError().isEmpty() ? "" : ": " + execution.getError()), execution);
        }
    }

    /** CANCELLED. */
    public static final class Cancelled extends ExecutionEndedException {
        Cancelled(Execution execution) {
            super("execution " + execution.getId() + " was cancelled"
                    + (execution.getMessage().isEmpty() ? "" : ": " + execution.getMessage()), execution);
        }
    }

    /** SKIPPED: a duplicate of an active execution ({@code duplicate_of}), which it did not run. */
    public static final class Skipped extends ExecutionEndedException {
        Skipped(Execution execution) {
            super("execution " + execution.getId() + " was skipped as a duplicate of "
                    + execution.getDuplicateOf(), execution);
        }
    }
}
