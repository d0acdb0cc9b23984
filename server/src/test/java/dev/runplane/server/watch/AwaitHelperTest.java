package dev.runplane.server.watch;

import dev.runplane.client.ExecutionEndedException;
import dev.runplane.client.ExecutionTimeoutException;
import dev.runplane.client.Executions;
import dev.runplane.server.core.Action;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestServer;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.RunRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java client's awaitExecution, on AwaitExecution: the terminal execution, or a distinct
 * exception per outcome; it calls again while the server answers done=false.
 */
class AwaitHelperTest {

    private static TestServer server;
    private static Transitioner transitions;
    private static Executions client;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        transitions = new Transitioner(server.app().database().pool());
        client = new Executions(server.channel());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static String run() {
        return server.executions().run(RunRequest.newBuilder().setPipeline("awaited").build()).getExecution().getId();
    }

    @Test
    void returnsTheSucceededExecution() throws Exception {
        String id = run();
        CompletableFuture<Execution> waiting = CompletableFuture.supplyAsync(
                () -> client.awaitExecution(id, Duration.ofSeconds(30)));
        transitions.cycle(UUID.fromString(id), 1).block();
        Execution done = waiting.get();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, done.getStatus());
        assertEquals(5, done.getRevision());
        // An execution that already ended answers at once.
        assertEquals(5, client.awaitExecution(id, Duration.ofSeconds(30)).getRevision());
    }

    @Test
    void failedAndCancelledAreDistinct() {
        String failed = run();
        transitions.apply(UUID.fromString(failed), Action.CLAIM).then(transitions.apply(UUID.fromString(failed),
                Action.FAIL)).block();
        ExecutionEndedException.Failed f = assertThrows(ExecutionEndedException.Failed.class,
                () -> client.awaitExecution(failed, Duration.ofSeconds(30)));
        assertEquals(ExecutionStatus.EXECUTION_STATUS_FAILED, f.execution().getStatus());

        String cancelled = run();
        server.executions().cancel(CancelRequest.newBuilder().setId(cancelled).setReason("not needed").build());
        ExecutionEndedException.Cancelled c = assertThrows(ExecutionEndedException.Cancelled.class,
                () -> client.awaitExecution(cancelled, Duration.ofSeconds(30)));
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, c.execution().getStatus());
    }

    @Test
    void timesOutWithTheLastStateSeen() {
        String id = run();
        ExecutionTimeoutException timeout = assertThrows(ExecutionTimeoutException.class,
                () -> client.awaitExecution(id, Duration.ofMillis(300)));
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, timeout.lastSeen().getStatus());
    }

    @Test
    void anUnknownIdIsNotFound() {
        Errors.expect(Status.Code.NOT_FOUND,
                () -> client.awaitExecution(UUID.randomUUID().toString(), Duration.ofSeconds(5)));
    }
    @Test
    void skippedAndTimedOutAreDistinct() {
        String holder = server.executions().run(RunRequest.newBuilder().setPipeline("awaited").setDedupKey("once").build())
                .getExecution().getId();
        String skipped = server.executions().run(RunRequest.newBuilder().setPipeline("awaited").setDedupKey("once").build())
                .getExecution().getId();
        ExecutionEndedException.Skipped s = assertThrows(ExecutionEndedException.Skipped.class,
                () -> client.awaitExecution(skipped, Duration.ofSeconds(30)));
        assertEquals(holder, s.execution().getDuplicateOf());

        String timedOut = run();
        transitions.apply(UUID.fromString(timedOut), Action.CLAIM)
                .then(transitions.apply(UUID.fromString(timedOut), Action.TIME_OUT)).block();
        ExecutionEndedException.Failed f = assertThrows(ExecutionEndedException.Failed.class,
                () -> client.awaitExecution(timedOut, Duration.ofSeconds(30)));
        assertEquals(ExecutionStatus.EXECUTION_STATUS_TIMED_OUT, f.execution().getStatus());
    }

    /** With calls of 100 ms, a wait of 30 s is many calls, each answered done=false, until the end. */
    @Test
    void callsAgainWhileTheServerAnswersNotDone() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Channel counted = ClientInterceptors.intercept(server.channel(), new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                if (method.getBareMethodName().equals("AwaitExecution")) {
                    calls.incrementAndGet();
                }
                return next.newCall(method, options);
            }
        });
        Executions shortCalls = new Executions(counted, Duration.ofMillis(100));
        String id = run();
        CompletableFuture<Execution> waiting = CompletableFuture.supplyAsync(
                () -> shortCalls.awaitExecution(id, Duration.ofSeconds(30)));
        Eventually.await(Duration.ofSeconds(30), "three calls", () -> calls.get() >= 3);
        transitions.cycle(UUID.fromString(id), 0).block();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, waiting.get(30, TimeUnit.SECONDS).getStatus());
        assertTrue(calls.get() >= 3);
    }

    @Test
    void aCallWaitOutsideItsRangeIsRefused() {
        for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofMillis(-1), Duration.ofMinutes(5).plusNanos(1)}) {
            assertThrows(IllegalArgumentException.class, () -> new Executions(server.channel(), bad));
        }
    }
}
