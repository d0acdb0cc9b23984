package dev.runplane.server.watch;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import dev.runplane.server.core.Action;
import dev.runplane.server.core.error.WatchInterruptedException;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.AwaitExecutionRequest;
import dev.runplane.v1.AwaitExecutionResponse;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.FailRequest;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RunRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AwaitExecution on replica A of two on one database, the changes made through replica B: woken by
 * the terminal commit (whichever replica made it), done=false at the timeout, errors as GetExecution's,
 * and every wait leaves the event hub when its call ends, however it ends.
 */
class AwaitExecutionTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /**
     * The server's wait where the answer must come from the wake-up: longer than the test waits for
     * the answer, so an await that missed its terminal event fails the test instead of ending by
     * its timeout.
     */
    private static final Duration LONG = Duration.ofMinutes(5);
    private static final AtomicInteger PIPELINES = new AtomicInteger();

    private static TestServer a;
    private static TestServer b;

    @BeforeAll
    static void start() {
        a = TestServer.start();
        b = TestServer.start(a.database());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        b.close();
        a.close();
    }

    /** No test leaves a wait behind in the hub (the cancelled ones included). */
    @AfterEach
    void noWaitLeft() throws InterruptedException {
        a.awaitWatchers(0);
    }

    private static String pipeline() {
        return "await-" + PIPELINES.incrementAndGet();
    }

    private static Execution run(String pipeline) {
        return b.executions().run(RunRequest.newBuilder().setPipeline(pipeline).build()).getExecution();
    }

    private static AwaitExecutionRequest await(String id, Duration timeout) {
        return AwaitExecutionRequest.newBuilder().setId(id).setTimeout(Durations.fromNanos(timeout.toNanos())).build();
    }

    /** An AwaitExecution on A, answered into the recorder. */
    private static StreamRecorder<AwaitExecutionResponse> startAwait(AwaitExecutionRequest request, Duration deadline) {
        StreamRecorder<AwaitExecutionResponse> answer = new StreamRecorder<>();
        ExecutionServiceGrpc.newStub(a.channel()).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .awaitExecution(request, answer);
        return answer;
    }

    /** Starts an await on A and returns once it waits: joined to the hub and not answered. */
    private static StreamRecorder<AwaitExecutionResponse> waiting(String id) throws InterruptedException {
        int before = a.app().eventHub().watchers();
        StreamRecorder<AwaitExecutionResponse> answer = startAwait(await(id, LONG), LONG.plusSeconds(30));
        Eventually.await(WAIT, "the await joined the hub", () -> a.app().eventHub().watchers() > before);
        Eventually.holds(Duration.ofMillis(200), "the await waits", () -> !answer.ended());
        return answer;
    }

    private static AwaitExecutionResponse answerOf(StreamRecorder<AwaitExecutionResponse> answer) throws Exception {
        Throwable error = answer.awaitEnd(WAIT);
        if (error != null) {
            throw new AssertionError("the await failed", error);
        }
        assertEquals(1, answer.values().size());
        return answer.values().get(0);
    }

    /** GetExecution's answer on A, without the durations that grow with the clock at each read. */
    private static Execution got(String id) {
        return stable(a.executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution());
    }

    private static Execution stable(Execution e) {
        return e.toBuilder().clearWaitingTime().clearExecutionTime().build();
    }

    private static Assignment claimOnB(String pipeline) {
        List<Assignment> claimed = b.workers().poll(PollRequest.newBuilder().setWorkerId("w-b").addPipelines(pipeline)
                .setMaxWait(Durations.fromSeconds(5)).build()).getAssignmentsList();
        assertEquals(1, claimed.size());
        return claimed.get(0);
    }

    @Test
    void answersDoneWithTheOutputsWhenAWorkerCompletesItThroughTheOtherReplica() throws Exception {
        String pipeline = pipeline();
        String id = run(pipeline).getId();
        StreamRecorder<AwaitExecutionResponse> answer = waiting(id);
        Assignment work = claimOnB(pipeline);
        Eventually.holds(Duration.ofMillis(100), "RUNNING does not end the wait", () -> !answer.ended());
        Struct outputs = Struct.newBuilder().putFields("greeting", Value.newBuilder().setStringValue("hello").build())
                .build();
        b.workers().complete(CompleteRequest.newBuilder().setLease(work.getLease()).setOutputs(outputs)
                .setMessage("done").build());

        AwaitExecutionResponse done = answerOf(answer);
        assertTrue(done.getDone());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, done.getExecution().getStatus());
        assertEquals(outputs, done.getExecution().getOutputs());
        assertEquals("done", done.getExecution().getMessage());
        assertEquals(got(id), stable(done.getExecution()), "the answer is GetExecution's");
    }

    @Test
    void anExecutionThatHasEndedAnswersAtOnce() throws Exception {
        String id = run(pipeline()).getId();
        b.executions().cancel(CancelRequest.newBuilder().setId(id).build());
        // A wait of 5 minutes answers within a deadline of 10 s: it did not wait.
        AwaitExecutionResponse done = ExecutionServiceGrpc.newBlockingStub(a.channel())
                .withDeadlineAfter(10, TimeUnit.SECONDS).awaitExecution(await(id, Duration.ofMinutes(5)));
        assertTrue(done.getDone());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, done.getExecution().getStatus());
        assertEquals(got(id), stable(done.getExecution()));
    }

    @Test
    void theTimeoutAnswersTheCurrentExecutionNotDone() throws Exception {
        String pipeline = pipeline();
        String queued = run(pipeline).getId();
        AwaitExecutionResponse stillQueued = answerOf(startAwait(await(queued, Duration.ofMillis(300)), WAIT));
        assertFalse(stillQueued.getDone());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, stillQueued.getExecution().getStatus());
        assertEquals(got(queued), stable(stillQueued.getExecution()));

        // Changes that do not end it are not an answer: RUNNING, then CANCELLING.
        claimOnB(pipeline);
        StreamRecorder<AwaitExecutionResponse> answer = startAwait(await(queued, Duration.ofMillis(1500)), WAIT);
        a.awaitWatchers(1);
        b.executions().cancel(CancelRequest.newBuilder().setId(queued).build());
        AwaitExecutionResponse cancelling = answerOf(answer);
        assertFalse(cancelling.getDone());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLING, cancelling.getExecution().getStatus());
        assertEquals(got(queued), stable(cancelling.getExecution()));
    }

    @Test
    void failedEndsTheWait() throws Exception {
        String pipeline = pipeline();
        String id = run(pipeline).getId();
        StreamRecorder<AwaitExecutionResponse> answer = waiting(id);
        b.workers().fail(FailRequest.newBuilder().setLease(claimOnB(pipeline).getLease()).setError("broken").build());
        AwaitExecutionResponse done = answerOf(answer);
        assertTrue(done.getDone());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_FAILED, done.getExecution().getStatus());
        assertEquals("broken", done.getExecution().getError());
    }

    @Test
    void cancelledEndsTheWait() throws Exception {
        String id = run(pipeline()).getId();
        StreamRecorder<AwaitExecutionResponse> answer = waiting(id);
        b.executions().cancel(CancelRequest.newBuilder().setId(id).setReason("not needed").build());
        AwaitExecutionResponse done = answerOf(answer);
        assertTrue(done.getDone());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, done.getExecution().getStatus());
    }

    /** The reapers (of both replicas) time it out past its max_runtime. */
    @Test
    void timedOutEndsTheWait() throws Exception {
        String pipeline = pipeline();
        String id = b.executions().run(RunRequest.newBuilder().setPipeline(pipeline)
                .setMaxRuntime(Durations.fromSeconds(1)).build()).getExecution().getId();
        StreamRecorder<AwaitExecutionResponse> answer = waiting(id);
        claimOnB(pipeline);
        AwaitExecutionResponse done = answerOf(answer);
        assertTrue(done.getDone());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_TIMED_OUT, done.getExecution().getStatus());
    }

    /** SKIPPED is terminal from the start (a duplicate is never queued): the answer comes at once. */
    @Test
    void skippedIsDoneAtOnce() {
        String pipeline = pipeline();
        String holder = b.executions().run(RunRequest.newBuilder().setPipeline(pipeline).setDedupKey("k").build())
                .getExecution().getId();
        String duplicate = b.executions().run(RunRequest.newBuilder().setPipeline(pipeline).setDedupKey("k").build())
                .getExecution().getId();
        AwaitExecutionResponse done = a.executions().awaitExecution(await(duplicate, Duration.ofMinutes(5)));
        assertTrue(done.getDone());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SKIPPED, done.getExecution().getStatus());
        assertEquals(holder, done.getExecution().getDuplicateOf());
    }

    /** The terminal commit races the start of the wait: joined before the first read, it is never missed. */
    @RepeatedTest(10)
    void aCommitRacingTheStartOfTheWaitIsNotMissed() throws Exception {
        String pipeline = pipeline();
        String id = run(pipeline).getId();
        Assignment work = claimOnB(pipeline);
        StreamRecorder<AwaitExecutionResponse> answer = startAwait(await(id, LONG), LONG.plusSeconds(30));
        b.workers().complete(CompleteRequest.newBuilder().setLease(work.getLease()).build());
        AwaitExecutionResponse done = answerOf(answer);
        assertTrue(done.getDone());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, done.getExecution().getStatus());
    }

    @Test
    void unknownAndMalformedIdsAnswerAsGetExecution() {
        String unknown = UUID.randomUUID().toString();
        StatusRuntimeException notFound = Errors.expect(Status.Code.NOT_FOUND,
                () -> a.executions().awaitExecution(await(unknown, WAIT)));
        StatusRuntimeException getNotFound = Errors.expect(Status.Code.NOT_FOUND,
                () -> a.executions().getExecution(GetExecutionRequest.newBuilder().setId(unknown).build()));
        assertEquals(getNotFound.getStatus().getDescription(), notFound.getStatus().getDescription());
        assertEquals(Errors.errorInfo(getNotFound), Errors.errorInfo(notFound));
        for (String bad : List.of("", "nope", unknown.toUpperCase() + "0")) {
            StatusRuntimeException malformed = Errors.expect(Status.Code.INVALID_ARGUMENT,
                    () -> a.executions().awaitExecution(AwaitExecutionRequest.newBuilder().setId(bad).build()));
            StatusRuntimeException getMalformed = Errors.expect(Status.Code.INVALID_ARGUMENT,
                    () -> a.executions().getExecution(GetExecutionRequest.newBuilder().setId(bad).build()));
            assertEquals(List.of("id"), Errors.violatedFields(malformed));
            assertEquals(getMalformed.getStatus().getDescription(), malformed.getStatus().getDescription());
        }
    }

    @Test
    void aTimeoutOutsideZeroToFiveMinutesIsRefusedNamingIt() {
        String id = run(pipeline()).getId();
        for (com.google.protobuf.Duration bad : List.of(Durations.fromSeconds(-1), Durations.fromMillis(-1),
                Durations.fromSeconds(301), Durations.fromNanos(Duration.ofMinutes(5).toNanos() + 1),
                com.google.protobuf.Duration.newBuilder().setSeconds(1).setNanos(-1).build())) {
            StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> a.executions()
                    .awaitExecution(AwaitExecutionRequest.newBuilder().setId(id).setTimeout(bad).build()));
            assertEquals(List.of("timeout"), Errors.violatedFields(error), bad::toString);
        }
        StatusRuntimeException both = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> a.executions()
                .awaitExecution(AwaitExecutionRequest.newBuilder().setId("nope").setTimeout(Durations.fromDays(1)).build()));
        assertEquals(List.of("id", "timeout"), Errors.violatedFields(both));
        // Exactly five minutes is allowed; unset and 0 mean the default (30 s): both answer at once here.
        b.executions().cancel(CancelRequest.newBuilder().setId(id).build());
        for (AwaitExecutionRequest allowed : List.of(await(id, Duration.ofMinutes(5)),
                AwaitExecutionRequest.newBuilder().setId(id).build(),
                AwaitExecutionRequest.newBuilder().setId(id).setTimeout(Durations.fromSeconds(0)).build())) {
            assertTrue(a.executions().awaitExecution(allowed).getDone());
        }
    }

    /** The default timeout is 30 s: without one, a wait outlives a 1 s deadline (DEADLINE_EXCEEDED, not done=false). */
    @Test
    void withoutATimeoutTheWaitOutlivesAShortDeadline() throws Exception {
        String id = run(pipeline()).getId();
        Throwable error = startAwait(AwaitExecutionRequest.newBuilder().setId(id).build(), Duration.ofSeconds(1))
                .awaitEnd(WAIT);
        assertEquals(Status.Code.DEADLINE_EXCEEDED, Status.fromThrowable(error).getCode());
    }

    /** Deadlines and cancels end the call at once and leave nothing behind: no watcher, no answer. */
    @Test
    void deadlinesAndCancelsReleaseTheirWaits() throws Exception {
        String id = run(pipeline()).getId();
        Throwable expired = startAwait(await(id, WAIT), Duration.ofMillis(300)).awaitEnd(WAIT);
        assertEquals(Status.Code.DEADLINE_EXCEEDED, Status.fromThrowable(expired).getCode());
        a.awaitWatchers(0);

        List<StreamRecorder<AwaitExecutionResponse>> answers = new ArrayList<>();
        List<Context.CancellableContext> contexts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            StreamRecorder<AwaitExecutionResponse> answer = new StreamRecorder<>();
            if (i % 2 == 0) {
                ExecutionServiceGrpc.newStub(a.channel()).withDeadlineAfter(200, TimeUnit.MILLISECONDS)
                        .awaitExecution(await(id, WAIT), answer);
            } else {
                Context.CancellableContext context = Context.current().withCancellation();
                context.run(() -> ExecutionServiceGrpc.newStub(a.channel())
                        .awaitExecution(await(id, WAIT), answer));
                contexts.add(context);
            }
            answers.add(answer);
        }
        Eventually.await(WAIT, "the cancellable waits joined", () -> a.app().eventHub().watchers() >= contexts.size());
        contexts.forEach(c -> c.cancel(null));
        for (int i = 0; i < answers.size(); i++) {
            Status.Code code = Status.fromThrowable(answers.get(i).awaitEnd(WAIT)).getCode();
            assertEquals(i % 2 == 0 ? Status.Code.DEADLINE_EXCEEDED : Status.Code.CANCELLED, code);
            assertTrue(answers.get(i).values().isEmpty());
        }
        a.awaitWatchers(0);
    }

    /** A few hundred at once are all answered, holding no connection each (the reads share the watchers' gate). */
    @Test
    void threeHundredConcurrentWaitsAreAllAnsweredOnAFixedNumberOfConnections() throws Exception {
        int count = 300;
        Transitioner throughB = new Transitioner(b.app().database().pool());
        List<dev.runplane.server.core.Execution> executions = Flux.range(0, count)
                .flatMap(i -> throughB.create(pipeline(), Map.of()), 8).collectList().block();
        try (Connection jdbc = TestPostgres.jdbc(a.database()); Statement s = jdbc.createStatement()) {
            int before = connections(s);
            List<StreamRecorder<AwaitExecutionResponse>> answers = new ArrayList<>();
            for (dev.runplane.server.core.Execution execution : executions) {
                answers.add(startAwait(await(execution.id().toString(), LONG), LONG.plusSeconds(30)));
            }
            a.awaitWatchers(count);
            int open = connections(s);
            // Two replicas: each holds at most its two pools' maxima and its hub's connection.
            int poolSize = dev.runplane.server.ServerConfig.defaults().poolSize();
            int most = 2 * (poolSize + Math.max(2, poolSize / 2) + 1);
            assertTrue(open <= most, "connections before " + before + ", with " + count + " waits " + open
                    + " (at most " + most + ")");
            Flux.fromIterable(executions)
                    .flatMap(e -> throughB.apply(e.id(), Action.CLAIM).then(throughB.apply(e.id(), Action.COMPLETE)), 8)
                    .blockLast();
            for (StreamRecorder<AwaitExecutionResponse> answer : answers) {
                AwaitExecutionResponse done = answerOf(answer);
                assertTrue(done.getDone());
                assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, done.getExecution().getStatus());
            }
        }
    }

    private static int connections(Statement s) throws Exception {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** A database outage ends the waits with UNAVAILABLE (the hook that the server's database check calls). */
    @Test
    void aDatabaseOutageAnswersUnavailable() throws Exception {
        String id = run(pipeline()).getId();
        StreamRecorder<AwaitExecutionResponse> answer = waiting(id);
        a.app().eventHub().endWatchersForOutage();
        StatusRuntimeException error = assertInstanceOf(StatusRuntimeException.class, answer.awaitEnd(WAIT));
        assertEquals(Status.Code.UNAVAILABLE, error.getStatus().getCode());
        assertEquals(WatchInterruptedException.Reason.DATABASE_UNAVAILABLE.name(),
                Errors.errorInfo(error).orElseThrow().getReason());
    }

    /** A replica that stops answers its waits UNAVAILABLE (retry on another), never UNKNOWN. */
    @Test
    void aStoppingReplicaAnswersUnavailable() throws Exception {
        TestServer c = TestServer.start(a.database());
        try {
            String id = run(pipeline()).getId();
            StreamRecorder<AwaitExecutionResponse> answer = new StreamRecorder<>();
            ExecutionServiceGrpc.newStub(c.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .awaitExecution(await(id, WAIT), answer);
            c.awaitWatchers(1);
            c.app().close();
            StatusRuntimeException error = assertInstanceOf(StatusRuntimeException.class, answer.awaitEnd(WAIT));
            assertEquals(Status.Code.UNAVAILABLE, error.getStatus().getCode());
            assertEquals(WatchInterruptedException.Reason.SERVER_STOPPING.name(),
                    Errors.errorInfo(error).orElseThrow().getReason());
            assertTrue(answer.values().isEmpty());
        } finally {
            c.channel().shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
