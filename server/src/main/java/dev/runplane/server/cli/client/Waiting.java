package dev.runplane.server.cli.client;

import com.google.protobuf.util.Durations;
import com.google.rpc.ErrorInfo;
import dev.runplane.v1.AwaitExecutionRequest;
import dev.runplane.v1.AwaitExecutionResponse;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * Waiting for an execution to end, woken by the server (never by polling): AwaitExecution where
 * the server has it, else WatchExecution, which {@link #follow} also uses to show each change.
 */
final class Waiting {

    /** The longest wait that one AwaitExecution may ask for (the server's limit). */
    static final Duration MAX_AWAIT = Duration.ofMinutes(5);
    /** A refused connection fails within milliseconds; a call open this long had reached the server. */
    static final Duration WORKED = Duration.ofSeconds(1);
    /** How long to let the network answer beyond the server's own wait. */
    private static final long GRACE_SECONDS = 30;

    /** How a wait ended: the execution as last seen, and whether it is terminal. */
    record Outcome(Execution execution, boolean done) {

        int exitCode() {
            return done ? ExitCodes.of(execution.getStatus()) : ExitCodes.STILL_RUNNING;
        }
    }

    /** Called with each change that {@link #follow} sees, the first being the current state. */
    @FunctionalInterface
    interface Listener {
        void changed(ExecutionEvent event);
    }

    private Waiting() {
    }

    /** Waits until the execution ends, or {@code timeout} passes (null: no limit). */
    static Outcome await(Connection connection, String id, Duration timeout) throws InterruptedException {
        Deadline deadline = timeout == null ? null : Deadline.after(timeout.toNanos(), TimeUnit.NANOSECONDS);
        Execution last = null;
        while (true) {
            Duration wait = deadline == null ? MAX_AWAIT
                    : Duration.ofNanos(Math.min(deadline.timeRemaining(TimeUnit.NANOSECONDS), MAX_AWAIT.toNanos()));
            if (wait.toNanos() <= 0 && last != null) {
                return new Outcome(last, false);
            }
            AwaitExecutionResponse answer;
            long started = System.nanoTime();
            try {
                answer = connection.waiting().withDeadlineAfter(wait.getSeconds() + GRACE_SECONDS, TimeUnit.SECONDS)
                        .awaitExecution(AwaitExecutionRequest.newBuilder().setId(id)
                                .setTimeout(Durations.fromNanos(Math.max(1_000_000, wait.toNanos()))).build());
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) { // a server older than AwaitExecution
                    return follow(connection, id, deadline, event -> { });
                }
                // A long wait outlives its connection (closed at its maximum age, a proxy's cut): ask
                // again on a new one; a server that is really gone refuses that at once.
                if (!resumable(e, false, started)) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(200); // a moment for the replica or database to come back
                continue;
            }
            last = answer.getExecution();
            if (answer.getDone()) {
                return new Outcome(last, true);
            }
            if (deadline != null && deadline.isExpired()) {
                return new Outcome(last, false);
            }
        }
    }

    /**
     * Follows the execution with WatchExecution until it ends (or the deadline, null for none,
     * passes), telling the listener each change. A stream that breaks is resumed after the last
     * revision seen ({@link #resumable}); a server that cannot be reached ends the wait with UNAVAILABLE.
     */
    static Outcome follow(Connection connection, String id, Deadline deadline, Listener listener)
            throws InterruptedException {
        long after = 0;
        while (true) {
            ExecutionServiceGrpc.ExecutionServiceBlockingStub stub = connection.waiting();
            if (deadline != null) {
                stub = stub.withDeadline(deadline);
            }
            boolean received = false;
            long started = System.nanoTime();
            try {
                Iterator<WatchExecutionResponse> stream = stub.watchExecution(
                        WatchExecutionRequest.newBuilder().setId(id).setAfterRevision(after).build());
                while (stream.hasNext()) {
                    WatchExecutionResponse message = stream.next();
                    received = true;
                    if (!message.hasEvent()) {
                        continue; // a heartbeat
                    }
                    ExecutionEvent event = message.getEvent();
                    after = event.getRevision();
                    listener.changed(event);
                    if (ExitCodes.terminal(event.getToStatus())) {
                        // Events leave out steps, inputs and outputs: the end is shown whole.
                        return new Outcome(get(connection, id), true);
                    }
                }
                // Ended without a terminal event after our revision: ask again from the current state.
                after = 0;
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code == Status.Code.DEADLINE_EXCEEDED && deadline != null && deadline.isExpired()) {
                    return new Outcome(get(connection, id), false);
                }
                if (!resumable(e, received, started)) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(200); // a moment for the replica or database to come back
            }
        }
    }

    /**
     * Whether a broken call is worth making again. UNAVAILABLE: when the server said so (a replica
     * stopping, a database outage: details that the transport's own errors never carry), or when
     * the connection broke under a call that had been working (it delivered something, or stayed open
     * for {@link #WORKED}): a connection closed at its maximum age, a proxy's idle cut. A call that
     * could not even start is not: the server is unreachable, and the command says so (exit code 8)
     * instead of retrying. RESOURCE_EXHAUSTED only for a watcher too slow (WATCHER_TOO_SLOW), which
     * resumes where it was; never for a limit (TOO_MANY_STREAMS, STATEMENT_TIMEOUT), which would
     * answer the same again.
     */
    static boolean resumable(StatusRuntimeException e, boolean received, long startedNanos) {
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        switch (e.getStatus().getCode()) {
            case UNAVAILABLE:
                return received || System.nanoTime() - startedNanos >= WORKED.toNanos()
                        || details != null && details.getDetailsCount() > 0;
            case RESOURCE_EXHAUSTED:
                return details != null && details.getDetailsList().stream()
                        .filter(any -> any.is(ErrorInfo.class))
                        .anyMatch(any -> "WATCHER_TOO_SLOW".equals(reason(any)));
            default:
                return false;
        }
    }

    private static String reason(com.google.protobuf.Any any) {
        try {
            return any.unpack(ErrorInfo.class).getReason();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return "";
        }
    }

    static Execution get(Connection connection, String id) {
        return connection.executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution();
    }
}
