package dev.runplane.server.cli.client;

import dev.runplane.v1.ExecutionStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The exit codes a script branches on, in one place: every client command returns one of these, and
 * {@link CommandContext} lists them in each command's {@code --help} (README, "The CLI").
 */
public final class ExitCodes {

    /** The command did what it was asked; for await, run --wait and watch ID: the execution SUCCEEDED. */
    public static final int OK = 0;
    /** Any other error the server answered (NOT_FOUND, INVALID_ARGUMENT, PERMISSION_DENIED, ...). */
    public static final int ERROR = 1;
    /** A usage error: an unknown flag, a bad value (picocli's own code). */
    public static final int USAGE = 2;
    public static final int FAILED = 3;
    public static final int TIMED_OUT = 4;
    public static final int CANCELLED = 5;
    public static final int SKIPPED = 6;
    /** The execution was still going when --timeout passed. */
    public static final int STILL_RUNNING = 7;
    /** The server could not be reached or answered UNAVAILABLE: worth retrying later. */
    public static final int UNAVAILABLE = 8;

    private ExitCodes() {
    }

    /** The code for an execution that ended (or had not yet, for a status that is not terminal). */
    public static int of(ExecutionStatus status) {
        return switch (status) {
            case EXECUTION_STATUS_SUCCEEDED -> OK;
            case EXECUTION_STATUS_FAILED -> FAILED;
            case EXECUTION_STATUS_TIMED_OUT -> TIMED_OUT;
            case EXECUTION_STATUS_CANCELLED -> CANCELLED;
            case EXECUTION_STATUS_SKIPPED -> SKIPPED;
            default -> STILL_RUNNING;
        };
    }

    /** The code for a call that failed. */
    public static int of(StatusRuntimeException error) {
        return error.getStatus().getCode() == Status.Code.UNAVAILABLE ? UNAVAILABLE : ERROR;
    }

    /** Whether an execution in this status will change no more. */
    public static boolean terminal(ExecutionStatus status) {
        return switch (status) {
            case EXECUTION_STATUS_SUCCEEDED, EXECUTION_STATUS_FAILED, EXECUTION_STATUS_TIMED_OUT,
                    EXECUTION_STATUS_CANCELLED, EXECUTION_STATUS_SKIPPED -> true;
            default -> false;
        };
    }
}
