package dev.runplane.worker;

/** A handler's failure with an explicit choice of whether another attempt may succeed. */
public final class TaskFailure extends Exception {

    private final boolean retryable;

    private TaskFailure(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    /** Retrying will not help (bad inputs, a bug): the execution FAILS now. */
    public static TaskFailure permanent(String message) {
        return new TaskFailure(message, false);
    }

    /** Another attempt may succeed: queued again while attempts are left. */
    public static TaskFailure retryable(String message) {
        return new TaskFailure(message, true);
    }

    public boolean retryable() {
        return retryable;
    }
}
