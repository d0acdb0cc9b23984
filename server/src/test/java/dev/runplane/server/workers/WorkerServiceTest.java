package dev.runplane.server.workers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import dev.runplane.server.core.ClaimRequest;
import dev.runplane.server.core.LocalWorkSignals;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.core.Workers;
import dev.runplane.server.store.PostgresWorkerStore;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.FailRequest;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.HeartbeatResponse;
import dev.runplane.v1.Lease;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.PollResponse;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.Step;
import dev.runplane.v1.StepStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WorkerService through a real gRPC stack on a real PostgreSQL, with short leases and reaper intervals. */
class WorkerServiceTest {

    /** Reaper every 100 ms, cancel grace 1 s, retries without backoff (so tests need not wait). */
    static final WorkerSettings FAST = new WorkerSettings(Duration.ofMillis(100), Duration.ofSeconds(1),
            Duration.ZERO, Duration.ZERO, Duration.ofMillis(200));

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(TestPostgres.newDatabase(), FAST);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static Execution run(String pipeline, int priority, int maxAttempts) {
        return server.executions().run(RunRequest.newBuilder().setPipeline(pipeline).setPriority(priority)
                .setMaxAttempts(maxAttempts)
                .setInputs(Struct.newBuilder().putFields("n", Value.newBuilder().setNumberValue(priority).build()))
                .build()).getExecution();
    }

    private static PollResponse poll(String pipeline, int max, Duration wait, Duration lease) {
        return server.workers().poll(PollRequest.newBuilder().setWorkerId("w-test").addPipelines(pipeline)
                .setMaxExecutions(max).setMaxWait(Durations.fromMillis(wait.toMillis()))
                .setLeaseDuration(Durations.fromMillis(lease.toMillis())).build());
    }

    private static Assignment claimOne(String pipeline) {
        PollResponse response = poll(pipeline, 1, Duration.ofSeconds(5), Duration.ofSeconds(30));
        assertEquals(1, response.getAssignmentsCount(), "one execution claimed");
        return response.getAssignments(0);
    }

    private static Execution get(String id) {
        return server.executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution();
    }

    private static Execution complete(Lease lease) {
        return server.workers().complete(CompleteRequest.newBuilder().setLease(lease).setOutputs(Struct.newBuilder()
                .putFields("ok", Value.newBuilder().setBoolValue(true).build())).build()).getExecution();
    }

    private static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
        Eventually.await(Duration.ofSeconds(20), what, condition::get);
    }

    /** (from, to) of each event of an execution, in revision order. */
    private static List<String> events(String id) throws Exception {
        List<String> events = new ArrayList<>();
        try (Connection c = TestPostgres.jdbc(server.database());
             PreparedStatement s = c.prepareStatement("SELECT from_status, to_status FROM execution_events "
                     + "WHERE execution_id = ?::uuid ORDER BY revision")) {
            s.setString(1, id);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    events.add(rows.getString(1) + ">" + rows.getString(2));
                }
            }
        }
        return events;
    }

    @Test
    void aClaimedExecutionRunsUnderALeaseAndCompletesWithItsOutputsAndSteps() throws Exception {
        Execution queued = run("basic", 0, 1);
        Assignment assignment = claimOne("basic");
        assertEquals(queued.getId(), assignment.getExecution().getId());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_RUNNING, assignment.getExecution().getStatus());
        assertEquals(1, assignment.getLease().getAttempt());
        assertFalse(assignment.getLease().getToken().isEmpty());
        assertEquals(0.0, assignment.getExecution().getInputs().getFieldsOrThrow("n").getNumberValue(), "inputs arrive");

        HeartbeatResponse beat = server.workers().heartbeat(HeartbeatRequest.newBuilder()
                .setLease(assignment.getLease()).setMessage("loading")
                .addSteps(Step.newBuilder().setName("load").setStatus(StepStatus.STEP_STATUS_RUNNING)).build());
        assertFalse(beat.getCancelRequested());
        assertEquals(assignment.getLease().getToken(), beat.getLease().getToken());
        Execution done = server.workers().complete(CompleteRequest.newBuilder().setLease(beat.getLease())
                .setOutputs(Struct.newBuilder().putFields("rows", Value.newBuilder().setNumberValue(42).build()))
                .addSteps(Step.newBuilder().setName("load").setStatus(StepStatus.STEP_STATUS_SUCCEEDED)).build())
                .getExecution();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, done.getStatus());
        Execution stored = get(queued.getId());
        assertEquals(42, stored.getOutputs().getFieldsOrThrow("rows").getNumberValue());
        assertEquals("loading", stored.getMessage());
        assertEquals(1, stored.getStepsCount());
        assertEquals(StepStatus.STEP_STATUS_SUCCEEDED, stored.getSteps(0).getStatus());
        assertEquals("w-test", stored.getWorkerId());
        assertEquals(List.of("null>QUEUED", "QUEUED>RUNNING", "RUNNING>RUNNING", "RUNNING>SUCCEEDED"),
                events(queued.getId()));
        Errors.expect(Status.Code.ABORTED, () -> complete(beat.getLease()));
    }

    @Test
    void theEventLogKeepsNoLeaseToken() throws Exception {
        Execution queued = run("no-token-in-log", 0, 1);
        Assignment assignment = claimOne("no-token-in-log");
        server.workers().heartbeat(HeartbeatRequest.newBuilder().setLease(assignment.getLease())
                .setMessage("working").build());
        try (Connection c = TestPostgres.jdbc(server.database());
             PreparedStatement s = c.prepareStatement("SELECT (SELECT lease_token FROM executions WHERE id = ?::uuid),"
                     + " count(*), count(*) FILTER (WHERE strpos(e::text, ?) > 0)"
                     + " FROM execution_events e WHERE execution_id = ?::uuid")) {
            s.setString(1, queued.getId());
            s.setString(2, assignment.getLease().getToken());
            s.setString(3, queued.getId());
            try (ResultSet row = s.executeQuery()) {
                assertTrue(row.next());
                assertEquals(assignment.getLease().getToken(), row.getString(1), "the row holds the token");
                assertEquals(3, row.getLong(2), "queued, claimed, progress");
                assertEquals(0, row.getLong(3), "no event holds it, in its state or anywhere");
            }
        }
        complete(assignment.getLease());
    }

    @Test
    void oneWorkerGetsExecutionsInPriorityThenFifoOrder() {
        List<String> expected = new ArrayList<>();
        Execution low1 = run("prio", -5, 1);
        Execution mid1 = run("prio", 0, 1);
        Execution high = run("prio", 10, 1);
        Execution mid2 = run("prio", 0, 1);
        Execution low2 = run("prio", -5, 1);
        for (Execution e : List.of(high, mid1, mid2, low1, low2)) {
            expected.add(e.getId());
        }
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Assignment a = claimOne("prio");
            order.add(a.getExecution().getId());
            complete(a.getLease());
        }
        assertEquals(expected, order);
    }

    @Test
    void pollsOverSeveralPipelinesTakeTheBestOfAllAndSeveralAtOnce() {
        Execution a = run("multi-a", 1, 1);
        Execution b = run("multi-b", 7, 1);
        Execution c = run("multi-c", 3, 1);
        PollResponse response = server.workers().poll(PollRequest.newBuilder().setWorkerId("w")
                .addPipelines("multi-a").addPipelines("multi-b").addPipelines("multi-c").setMaxExecutions(2)
                .setMaxWait(Durations.fromMillis(100)).build());
        assertEquals(List.of(b.getId(), c.getId()),
                response.getAssignmentsList().stream().map(x -> x.getExecution().getId()).toList());
        Assignment last = server.workers().poll(PollRequest.newBuilder().setWorkerId("w")
                .addPipelines("multi-a").addPipelines("multi-c").setMaxWait(Durations.fromMillis(100)).build())
                .getAssignments(0);
        assertEquals(a.getId(), last.getExecution().getId());
    }

    @Test
    void anEmptyPollEndsAfterMaxWait() {
        PollResponse empty = poll("nothing-here", 1, Duration.ofMillis(300), Duration.ofSeconds(30));
        assertEquals(0, empty.getAssignmentsCount());
    }

    @Test
    void waitingPollsAreWokenByRunsOnTheirOwnReplicaAndOnAnother() throws Exception {
        // A fallback re-check of one minute: only a signal can answer these polls within the test's wait.
        WorkerSettings slowFallback = new WorkerSettings(Duration.ofMillis(100), Duration.ofSeconds(1),
                Duration.ZERO, Duration.ZERO, Duration.ofMinutes(1));
        var database = TestPostgres.newDatabase();
        try (TestServer a = TestServer.start(database, slowFallback); TestServer b = TestServer.start(database, slowFallback)) {
            for (TestServer runOn : List.of(a, b)) {
                CompletableFuture<PollResponse> waiting = CompletableFuture.supplyAsync(() -> a.workers()
                        .withDeadlineAfter(50, TimeUnit.SECONDS)
                        .poll(PollRequest.newBuilder().setWorkerId("w").addPipelines("wake")
                                .setMaxWait(Durations.fromSeconds(45)).build()));
                String id = runOn.executions().run(RunRequest.newBuilder().setPipeline("wake").build())
                        .getExecution().getId();
                PollResponse woken = waiting.get(30, TimeUnit.SECONDS);
                assertEquals(id, woken.getAssignments(0).getExecution().getId());
            }
        }
    }

    @Test
    void stoppingEndsWaitingPollsAtOnceWithAnEmptyAnswer() {
        // The use case on the real store: a waiting poll must not hold up the server's drain.
        Workers workers = new Workers(new PostgresWorkerStore(server.app().database().pool()), new LocalWorkSignals(),
                FAST);
        Mono<List<dev.runplane.server.core.Assignment>> waiting = workers.poll(
                new ClaimRequest("w", List.of("never-queued"), 1, Duration.ofSeconds(30)), Duration.ofSeconds(60));
        StepVerifier.create(waiting)
                .then(workers::stopWaiting)
                .expectNext(List.of())
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aPollArrivingWhileItsGroupWaitsWaitsBehindItWithoutLookingAtTheQueue() throws Exception {
        // Signals from nowhere but this test (no hub, no signalling store) and a re-check of one minute.
        WorkerSettings slowFallback = new WorkerSettings(Duration.ofMillis(100), Duration.ofSeconds(1),
                Duration.ZERO, Duration.ZERO, Duration.ofMinutes(1));
        LocalWorkSignals signals = new LocalWorkSignals();
        Workers workers = new Workers(new PostgresWorkerStore(server.app().database().pool()), signals, slowFallback);
        List<String> group = List.of("behind");
        ClaimRequest claim = new ClaimRequest("w", group, 1, Duration.ofSeconds(30));
        var first = workers.poll(claim, Duration.ofSeconds(30)).subscribe();
        try {
            Eventually.within(Duration.ofSeconds(10), () -> signals.waiting(group));
            assertTrue(signals.waiting(group), "the first poll found the queue empty and waits");
            for (int i = 0; i < 3; i++) { // through the server: its signals, not these
                run("behind", 0, 1);
            }

            long start = System.nanoTime();
            var late = workers.poll(claim, Duration.ofMillis(300)).block(Duration.ofSeconds(10));
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(1, late.size(), "it looks at its deadline (a full batch: it wakes the first poll)");
            assertTrue(waitedMs >= 300, "a poll that may wait joined the waiting one instead of claiming at once: "
                    + waitedMs + " ms");
            start = System.nanoTime();
            var now = workers.poll(claim, Duration.ZERO).block(Duration.ofSeconds(10));
            assertEquals(1, now.size(), "a poll that may not wait looks at once");
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 300);
        } finally {
            first.dispose();
        }
    }

    @Test
    void aDeadWorkersExecutionIsRequeuedWithTheNextAttemptAndItsLateCompleteIsAborted() throws Exception {
        Execution queued = run("dead", 0, 2);
        PollResponse first = poll("dead", 1, Duration.ofSeconds(5), Duration.ofSeconds(1));
        Lease stale = first.getAssignments(0).getLease();
        // The worker dies: no heartbeat. Within lease + reaper interval the execution is queued again.
        await("re-queue", () -> get(queued.getId()).getStatus() == ExecutionStatus.EXECUTION_STATUS_QUEUED);
        Assignment second = poll("dead", 1, Duration.ofSeconds(5), Duration.ofSeconds(1)).getAssignments(0);
        assertEquals(queued.getId(), second.getExecution().getId());
        assertEquals(2, second.getLease().getAttempt());
        assertNotEquals(stale.getToken(), second.getLease().getToken());

        long revision = get(queued.getId()).getRevision();
        StatusRuntimeException aborted = Errors.expect(Status.Code.ABORTED, () -> complete(stale));
        assertEquals("LEASE_LOST", Errors.errorInfo(aborted).orElseThrow().getReason());
        Errors.expect(Status.Code.ABORTED, () -> server.workers().heartbeat(
                HeartbeatRequest.newBuilder().setLease(stale).build()));
        assertEquals(revision, get(queued.getId()).getRevision(), "the stale calls changed nothing");

        // The second worker dies too: attempts exhausted → FAILED.
        Lease secondLease = second.getLease();
        await("failure", () -> get(queued.getId()).getStatus() == ExecutionStatus.EXECUTION_STATUS_FAILED);
        assertTrue(get(queued.getId()).getError().contains("lease expired"));
        Errors.expect(Status.Code.ABORTED, () -> complete(secondLease));
        assertEquals(List.of("null>QUEUED", "QUEUED>RUNNING", "RUNNING>QUEUED", "QUEUED>RUNNING", "RUNNING>FAILED"),
                events(queued.getId()));
    }

    @Test
    void aRetryableFailureQueuesAgainUntilAttemptsRunOut() throws Exception {
        Execution queued = run("retry", 0, 2);
        Assignment first = claimOne("retry");
        Execution afterFirst = server.workers().fail(FailRequest.newBuilder().setLease(first.getLease())
                .setError("flaky").setRetryable(true).build()).getExecution();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, afterFirst.getStatus());
        Assignment second = claimOne("retry");
        Execution afterSecond = server.workers().fail(FailRequest.newBuilder().setLease(second.getLease())
                .setError("flaky again").setRetryable(true).build()).getExecution();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_FAILED, afterSecond.getStatus());
        assertEquals("flaky again", afterSecond.getError());
        assertEquals(2, afterSecond.getAttempt());
        assertEquals(queued.getId(), afterSecond.getId());
    }

    @Test
    void cancelReachesTheWorkerOnItsHeartbeatAndItsFailEndsCancelled() {
        Execution queued = run("cancel", 0, 3);
        Assignment a = claimOne("cancel");
        server.executions().cancel(CancelRequest.newBuilder().setId(queued.getId()).build());
        HeartbeatResponse beat = server.workers().heartbeat(HeartbeatRequest.newBuilder().setLease(a.getLease()).build());
        assertTrue(beat.getCancelRequested());
        Execution ended = server.workers().fail(FailRequest.newBuilder().setLease(a.getLease())
                .setError("stopped on request").setRetryable(true).build()).getExecution();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, ended.getStatus());
    }

    @Test
    void aCancelThatTheWorkerNeverAnswersEndsAfterTheGracePeriod() throws Exception {
        Execution queued = run("ignored-cancel", 0, 1);
        Assignment a = claimOne("ignored-cancel");
        server.executions().cancel(CancelRequest.newBuilder().setId(queued.getId()).build());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLING, get(queued.getId()).getStatus());
        await("cancelled", () -> get(queued.getId()).getStatus() == ExecutionStatus.EXECUTION_STATUS_CANCELLED);
        Errors.expect(Status.Code.ABORTED, () -> complete(a.getLease()));
    }

    @Test
    void anExecutionPastItsMaxRuntimeTimesOut() throws Exception {
        Execution queued = server.executions().run(RunRequest.newBuilder().setPipeline("slow")
                .setMaxRuntime(Durations.fromMillis(300)).build()).getExecution();
        Assignment a = claimOne("slow");
        await("timed out", () -> get(queued.getId()).getStatus() == ExecutionStatus.EXECUTION_STATUS_TIMED_OUT);
        Errors.expect(Status.Code.ABORTED, () -> complete(a.getLease()));
    }

    @RepeatedTest(200)
    void cancelRacingCompleteEndsInExactlyOneTerminalStateWithAConsistentLog() throws Exception {
        Execution queued = run("race", 0, 1);
        Assignment a = claimOne("race");
        CompletableFuture<Object> cancel = CompletableFuture.supplyAsync(() -> outcome(() -> server.executions()
                .cancel(CancelRequest.newBuilder().setId(queued.getId()).build()).getExecution()));
        CompletableFuture<Object> done = CompletableFuture.supplyAsync(() -> outcome(() -> complete(a.getLease())));
        Object cancelled = cancel.get(10, TimeUnit.SECONDS);
        Object completed = done.get(10, TimeUnit.SECONDS);
        // The worker finished: Complete wins from RUNNING or from CANCELLING. Cancel either came first
        // (CANCELLING) or found SUCCEEDED and was refused: never both a cancel and a success recorded twice.
        assertTrue(completed instanceof Execution, "Complete: " + completed);
        Execution end = get(queued.getId());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, end.getStatus());
        List<String> log = events(queued.getId());
        if (cancelled instanceof Execution) {
            assertEquals(List.of("null>QUEUED", "QUEUED>RUNNING", "RUNNING>CANCELLING", "CANCELLING>SUCCEEDED"), log);
        } else {
            assertEquals(Status.Code.FAILED_PRECONDITION, cancelled);
            assertEquals(List.of("null>QUEUED", "QUEUED>RUNNING", "RUNNING>SUCCEEDED"), log);
        }
        assertEquals(log.size(), end.getRevision(), "one revision per event");
    }

    @RepeatedTest(200)
    void cancelRacingFailEndsInExactlyOneTerminalStateWithAConsistentLog() throws Exception {
        Execution queued = run("race-fail", 0, 1);
        Assignment a = claimOne("race-fail");
        CompletableFuture<Object> cancel = CompletableFuture.supplyAsync(() -> outcome(() -> server.executions()
                .cancel(CancelRequest.newBuilder().setId(queued.getId()).build()).getExecution()));
        CompletableFuture<Object> fail = CompletableFuture.supplyAsync(() -> outcome(() -> server.workers()
                .fail(FailRequest.newBuilder().setLease(a.getLease()).setError("boom").build()).getExecution()));
        Object cancelled = cancel.get(10, TimeUnit.SECONDS);
        Object failed = fail.get(10, TimeUnit.SECONDS);
        assertTrue(failed instanceof Execution, "Fail: " + failed);
        Execution end = get(queued.getId());
        List<String> log = events(queued.getId());
        if (cancelled instanceof Execution) {
            // Cancel first: the worker's Fail is its acknowledgement.
            assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, end.getStatus());
            assertEquals(List.of("null>QUEUED", "QUEUED>RUNNING", "RUNNING>CANCELLING", "CANCELLING>CANCELLED"), log);
        } else {
            assertEquals(Status.Code.FAILED_PRECONDITION, cancelled);
            assertEquals(ExecutionStatus.EXECUTION_STATUS_FAILED, end.getStatus());
            assertEquals(List.of("null>QUEUED", "QUEUED>RUNNING", "RUNNING>FAILED"), log);
        }
        assertEquals(log.size(), end.getRevision(), "one revision per event");
    }

    private static Object outcome(Supplier<Execution> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void concurrentCompletesEachGetTheirOwnAnswerEvenWhenWrittenTogether() throws Exception {
        for (int i = 0; i < 40; i++) {
            run("batch", 0, 1);
        }
        List<Assignment> claimed = poll("batch", 40, Duration.ofSeconds(5), Duration.ofSeconds(30)).getAssignmentsList();
        assertEquals(40, claimed.size());
        List<CompletableFuture<Object>> answers = new ArrayList<>();
        for (int i = 0; i < claimed.size(); i++) {
            Lease lease = claimed.get(i).getLease();
            Lease sent = i % 4 == 0 ? lease.toBuilder().setToken("stale").build() : lease;
            answers.add(CompletableFuture.supplyAsync(() -> outcome(() -> complete(sent))));
            if (i % 4 == 1) { // the same lease twice at once: one wins, the other finds it finished
                answers.add(CompletableFuture.supplyAsync(() -> outcome(() -> complete(sent))));
            }
        }
        int succeeded = 0;
        int aborted = 0;
        for (CompletableFuture<Object> answer : answers) {
            Object result = answer.get(20, TimeUnit.SECONDS);
            if (result instanceof Execution) {
                succeeded++;
            } else {
                assertEquals(Status.Code.ABORTED, result);
                aborted++;
            }
        }
        assertEquals(30, succeeded, "every valid lease completes once");
        assertEquals(20, aborted, "10 stale tokens and 10 repeats are refused");
        for (int i = 0; i < claimed.size(); i++) {
            ExecutionStatus expected = i % 4 == 0 ? ExecutionStatus.EXECUTION_STATUS_RUNNING
                    : ExecutionStatus.EXECUTION_STATUS_SUCCEEDED;
            assertEquals(expected, get(claimed.get(i).getExecution().getId()).getStatus());
        }
    }

    /** The ids of the executions of one pipeline that a free-text Search for {@code query} finds. */
    private static List<String> found(String pipeline, String query) {
        return server.executions().search(SearchRequest.newBuilder()
                        .setFilter(ExecutionFilter.newBuilder().addPipelines(pipeline)).setQuery(query).build())
                .getExecutionsList().stream().map(Execution::getId).sorted().toList();
    }

    private static List<ExecutionEvent> history(String id) {
        return server.executions().listExecutionEvents(ListExecutionEventsRequest.newBuilder().setId(id)
                .setPageSize(100).build()).getEventsList();
    }

    /** Issue 17, item 12: a SUCCEEDED execution kept the error of its failed attempt, so Search found it. */
    @Test
    void aNewAttemptClearsTheErrorOfTheLastOneAndTheHistoryKeepsIt() {
        String pipeline = "out-of-space"; // not "disk-full": the pipeline's words are searched too
        List<String> ids = java.util.stream.Stream.of(run(pipeline, 0, 2), run(pipeline, 0, 2))
                .map(Execution::getId).sorted().toList();
        // Both attempts fail for a reason worth retrying; while queued again, the error says why.
        for (Assignment first : poll(pipeline, 2, Duration.ofSeconds(5), Duration.ofSeconds(30)).getAssignmentsList()) {
            Execution requeued = server.workers().fail(FailRequest.newBuilder().setLease(first.getLease())
                    .setError("disk full").setRetryable(true).build()).getExecution();
            assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, requeued.getStatus());
            assertEquals("disk full", requeued.getError());
        }
        assertEquals(ids, found(pipeline, "disk full"));

        // One claim of several rows starts the second attempts: the old error is gone at once.
        List<Assignment> second = poll(pipeline, 2, Duration.ofSeconds(5), Duration.ofSeconds(30)).getAssignmentsList();
        assertEquals(2, second.size());
        for (Assignment a : second) {
            assertEquals(2, a.getLease().getAttempt());
            assertEquals("", a.getExecution().getError(), "the claim's answer");
            assertEquals("", get(a.getExecution().getId()).getError(), "the stored row");
        }
        assertEquals(List.of(), found(pipeline, "disk full"), "a running attempt is not the failed one");

        // One ends through Complete, the other through CompleteBatch.
        complete(second.get(0).getLease());
        server.workers().completeBatch(CompleteBatchRequest.newBuilder()
                .addCompletions(CompleteRequest.newBuilder().setLease(second.get(1).getLease())).build());
        for (String id : ids) {
            Execution done = get(id);
            assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, done.getStatus());
            assertEquals("", done.getError());
            // The history keeps the failure: the event that queued the second attempt says why.
            ExecutionEvent retried = history(id).stream()
                    .filter(e -> e.getToStatus() == ExecutionStatus.EXECUTION_STATUS_QUEUED && e.getRevision() > 1)
                    .findFirst().orElseThrow();
            assertEquals("disk full", retried.getReason());
            assertEquals("disk full", retried.getExecution().getError());
        }
        assertEquals(List.of(), found(pipeline, "disk full"), "Search finds no succeeded run by its old error");
    }

    /** Issue 17, item 13: the worker's next progress message overwrote the Cancel's reason. */
    @Test
    void aCancelReasonOutlivesTheWorkersProgressAndSearchFindsIt() {
        String pipeline = "cancel-reason";
        Execution queued = run(pipeline, 0, 1);
        Assignment a = claimOne(pipeline);
        server.workers().heartbeat(HeartbeatRequest.newBuilder().setLease(a.getLease()).setMessage("step 1 of 9")
                .build());
        server.executions().cancel(CancelRequest.newBuilder().setId(queued.getId())
                .setReason("wrong input file").build());

        // The worker keeps reporting progress until it notices the cancel (and once more after).
        HeartbeatResponse beat = server.workers().heartbeat(HeartbeatRequest.newBuilder().setLease(a.getLease())
                .setMessage("step 2 of 9")
                .addSteps(Step.newBuilder().setName("load").setStatus(StepStatus.STEP_STATUS_RUNNING)).build());
        assertTrue(beat.getCancelRequested());
        long revision = get(queued.getId()).getRevision();
        server.workers().heartbeat(HeartbeatRequest.newBuilder().setLease(beat.getLease()).setMessage("stopping")
                .build());
        Execution cancelling = get(queued.getId());
        assertEquals(revision, cancelling.getRevision(), "a message that changes nothing is no event");
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLING, cancelling.getStatus());
        assertEquals("wrong input file", cancelling.getMessage());
        assertEquals(1, cancelling.getStepsCount(), "the progress's steps are still recorded");
        assertEquals(List.of(queued.getId()), found(pipeline, "wrong input file"));

        Execution cancelled = server.workers().fail(FailRequest.newBuilder().setLease(beat.getLease())
                .setError("stopped on request").build()).getExecution();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, cancelled.getStatus());
        assertEquals("wrong input file", get(queued.getId()).getMessage());
        assertEquals(List.of(queued.getId()), found(pipeline, "wrong input file"));
    }

    @Test
    void badRequestsAreRefusedWithTheFieldNamed() {
        StatusRuntimeException poll = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.workers().poll(
                PollRequest.newBuilder().addPipelines("Bad Name").setMaxExecutions(1000).build()));
        assertEquals(List.of("worker_id", "pipelines[0]", "max_executions"), Errors.violatedFields(poll));
        StatusRuntimeException complete = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.workers().complete(
                CompleteRequest.newBuilder().build()));
        assertEquals(List.of("lease"), Errors.violatedFields(complete));
    }
}
