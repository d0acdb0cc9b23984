package dev.runplane.client;

import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/** Small conveniences over the generated ExecutionService stubs. */
public final class Executions {

    private final Channel channel;

    public Executions(Channel channel) {
        this.channel = channel;
    }

    /**
     * Waits for an execution to end, following it with WatchExecution (no polling). A stream that
     * breaks (a replica stops, the watcher fell behind) is resumed after the last revision seen.
     *
     * @return the execution, once SUCCEEDED
     * @throws ExecutionEndedException.Failed    when it ended FAILED or TIMED_OUT
     * @throws ExecutionEndedException.Cancelled when it was CANCELLED
     * @throws ExecutionEndedException.Skipped   when it was SKIPPED as a duplicate
     * @throws ExecutionTimeoutException         when it had not ended within {@code timeout}
     * @throws StatusRuntimeException            for other errors (NOT_FOUND, INVALID_ARGUMENT, ...)
     */
    public Execution awaitExecution(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastRevision = 0;
        Execution last = null;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ExecutionTimeoutException(id, timeout, last);
            }
            try {
                Iterator<WatchExecutionResponse> stream = ExecutionServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(left, TimeUnit.NANOSECONDS)
                        .watchExecution(WatchExecutionRequest.newBuilder().setId(id).setAfterRevision(lastRevision)
                                .build());
                while (stream.hasNext()) {
                    WatchExecutionResponse response = stream.next();
                    if (!response.hasEvent()) {
                        continue; // a heartbeat of a quiet stream (every 15 s): nothing changed
                    }
                    ExecutionEvent event = response.getEvent();
                    lastRevision = event.getRevision();
                    last = event.getExecution();
                    switch (event.getToStatus()) {
                        case EXECUTION_STATUS_SUCCEEDED:
                            return last;
                        case EXECUTION_STATUS_FAILED:
                        case EXECUTION_STATUS_TIMED_OUT:
                            throw new ExecutionEndedException.Failed(last);
                        case EXECUTION_STATUS_CANCELLED:
                            throw new ExecutionEndedException.Cancelled(last);
                        case EXECUTION_STATUS_SKIPPED:
                            throw new ExecutionEndedException.Skipped(last);
                        default:
                            break;
                    }
                }
                // The stream completed without a terminal event after our revision: we had seen the end
                // already (a resume after it); ask again from scratch to learn the final state.
                lastRevision = 0;
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code == Status.Code.DEADLINE_EXCEEDED) {
                    throw new ExecutionTimeoutException(id, timeout, last);
                }
                if (code != Status.Code.UNAVAILABLE && code != Status.Code.RESOURCE_EXHAUSTED) {
                    throw e;
                }
                pause(Math.min(200_000_000L, Math.max(0, deadline - System.nanoTime()))); // then resume after lastRevision
            }
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
