package dev.runplane.client;

import dev.runplane.v1.AwaitExecutionRequest;
import dev.runplane.v1.AwaitExecutionResponse;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionServiceGrpc;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Small conveniences over the generated ExecutionService stubs. */
public final class Executions {

    /** The longest wait one AwaitExecution may ask for (the contract's maximum: the server refuses more). */
    static final Duration MAX_CALL_WAIT = Duration.ofMinutes(5);
    /** How much later than its own timeout a call's deadline falls, so the server's answer comes first. */
    static final Duration DEADLINE_MARGIN = Duration.ofSeconds(5);

    private final Channel channel;
    private final Duration callWait;

    public Executions(Channel channel) {
        this(channel, MAX_CALL_WAIT);
    }

    /**
     * @param callWait how long one AwaitExecution call waits at most (above 0, at most 5 minutes):
     *                 shorter suits a proxy that ends calls that stay quiet for long
     */
    public Executions(Channel channel, Duration callWait) {
        if (callWait.isNegative() || callWait.isZero() || callWait.compareTo(MAX_CALL_WAIT) > 0) {
            throw new IllegalArgumentException("callWait must be above 0 and at most " + MAX_CALL_WAIT + ": " + callWait);
        }
        this.channel = channel;
        this.callWait = callWait;
    }

    /**
     * Waits for an execution to end with AwaitExecution (the server is woken by the commit, whichever
     * replica made it; no polling), calling again while it answers done=false until {@code timeout}
     * has passed: one call per 5 minutes of waiting (or per {@code callWait}). A call that fails with
     * UNAVAILABLE (a replica stops, the database is away) or RESOURCE_EXHAUSTED is made again after a
     * short pause.
     *
     * @return the execution, once SUCCEEDED, with its outputs and steps (as GetExecution shows it)
     * @throws ExecutionEndedException.Failed    when it ended FAILED or TIMED_OUT
     * @throws ExecutionEndedException.Cancelled when it was CANCELLED
     * @throws ExecutionEndedException.Skipped   when it was SKIPPED as a duplicate
     * @throws ExecutionTimeoutException         when it had not ended within {@code timeout}
     * @throws StatusRuntimeException            for other errors (NOT_FOUND, INVALID_ARGUMENT, ...)
     */
    public Execution awaitExecution(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Execution last = null;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ExecutionTimeoutException(id, timeout, last);
            }
            Duration wait = Duration.ofNanos(left).compareTo(callWait) > 0 ? callWait : Duration.ofNanos(left);
            try {
                AwaitExecutionResponse answer = ExecutionServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(wait.plus(DEADLINE_MARGIN).toNanos(), TimeUnit.NANOSECONDS)
                        .awaitExecution(AwaitExecutionRequest.newBuilder().setId(id)
                                .setTimeout(com.google.protobuf.Duration.newBuilder()
                                        .setSeconds(wait.getSeconds()).setNanos(wait.getNano()))
                                .build());
                last = answer.getExecution();
                if (answer.getDone()) {
                    return ended(last);
                }
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code == Status.Code.DEADLINE_EXCEEDED) {
                    throw new ExecutionTimeoutException(id, timeout, last);
                }
                if (code != Status.Code.UNAVAILABLE && code != Status.Code.RESOURCE_EXHAUSTED) {
                    throw e;
                }
                pause(Math.min(200_000_000L, Math.max(0, deadline - System.nanoTime())));
            }
        }
    }

    /** The SUCCEEDED execution, or the exception that says how else it ended. */
    private static Execution ended(Execution execution) {
        switch (execution.getStatus()) {
            case EXECUTION_STATUS_SUCCEEDED:
                return execution;
            case EXECUTION_STATUS_FAILED:
            case EXECUTION_STATUS_TIMED_OUT:
                throw new ExecutionEndedException.Failed(execution);
            case EXECUTION_STATUS_CANCELLED:
                throw new ExecutionEndedException.Cancelled(execution);
            case EXECUTION_STATUS_SKIPPED:
                throw new ExecutionEndedException.Skipped(execution);
            default:
                throw new IllegalStateException("AwaitExecution answered done for " + execution.getStatus());
        }
    }

    private static void pause(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }
}
