package dev.runplane.server.grpc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Timestamps;
import com.google.rpc.ErrorInfo;
import dev.runplane.server.core.Action;
import dev.runplane.server.core.TransitionRequest;
import dev.runplane.server.store.PostgresExecutionStore;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.ListExecutionEventsResponse;
import dev.runplane.v1.RerunRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResponse;
import dev.runplane.v1.Trigger;
import dev.runplane.v1.TriggerKind;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Run's idempotency and dedup, Cancel's refusals, Rerun and the event history, through gRPC. */
class RunSemanticsTest {

    private static TestServer server;
    private static PostgresExecutionStore store;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        store = new PostgresExecutionStore(server.app().database().pool());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static Execution run(RunRequest request) {
        return server.executions().run(request).getExecution();
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    @Test
    void sameRequestIdAndSameRequestAnswersTheSameExecution() throws Exception {
        RunRequest request = RunRequest.newBuilder().setPipeline("nightly").setRequestId(unique("req"))
                .putLabels("twin", "t1").build();
        Execution first = run(request);
        Execution again = run(request);
        assertEquals(first.getId(), again.getId());
        assertEquals(request.getRequestId(), again.getRequestId());
        assertEquals(1, rowsWithRequestId(request.getRequestId()));
    }

    @Test
    void sameRequestIdWithAnotherRequestIsAlreadyExistsNamingTheHolder() throws Exception {
        String requestId = unique("req");
        Execution first = run(RunRequest.newBuilder().setPipeline("nightly").setRequestId(requestId).build());
        StatusRuntimeException error = Errors.expect(Status.Code.ALREADY_EXISTS,
                () -> run(RunRequest.newBuilder().setPipeline("nightly").setRequestId(requestId).setPriority(9).build()));
        ErrorInfo info = Errors.errorInfo(error).orElseThrow();
        assertEquals("REQUEST_ID_REUSED", info.getReason());
        assertEquals(requestId, info.getMetadataOrThrow("request_id"));
        assertEquals(first.getId(), info.getMetadataOrThrow("execution_id"));
        assertTrue(error.getStatus().getDescription().contains(first.getId()));
        assertEquals(1, rowsWithRequestId(requestId));
    }

    @Test
    void dedupKeySkipsWhileTheHolderIsActiveAndNotAfter() {
        String key = unique("dedup");
        Execution holder = run(RunRequest.newBuilder().setPipeline("p").setDedupKey(key).build());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, holder.getStatus());

        Execution skipped = run(RunRequest.newBuilder().setPipeline("p").setDedupKey(key).build());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SKIPPED, skipped.getStatus());
        assertEquals(holder.getId(), skipped.getDuplicateOf());
        assertTrue(skipped.hasEndTime(), "SKIPPED is terminal");
        assertFalse(skipped.hasQueueTime(), "a skipped execution never queued");
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SKIPPED, history(skipped.getId()).get(0).getToStatus());

        // Running and cancelling still hold the key.
        store.transition(TransitionRequest.of(UUID.fromString(holder.getId()), Action.CLAIM, "w", "")).block();
        assertEquals(holder.getId(), run(RunRequest.newBuilder().setPipeline("p").setDedupKey(key).build())
                .getDuplicateOf());
        server.executions().cancel(CancelRequest.newBuilder().setId(holder.getId()).build());
        assertEquals(holder.getId(), run(RunRequest.newBuilder().setPipeline("p").setDedupKey(key).build())
                .getDuplicateOf());

        store.transition(TransitionRequest.of(UUID.fromString(holder.getId()), Action.CONFIRM_CANCEL, "w", "")).block();
        Execution next = run(RunRequest.newBuilder().setPipeline("p").setDedupKey(key).build());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, next.getStatus());
        assertEquals("", next.getDuplicateOf());
    }

    /** 20 concurrent Runs with one request id: one row, and every caller gets it. */
    @RepeatedTest(3)
    void concurrentRunsWithOneRequestIdCreateOneRow() throws Exception {
        RunRequest request = RunRequest.newBuilder().setPipeline("race").setRequestId(unique("race")).build();
        Set<String> ids = new HashSet<>();
        for (RunResponse response : concurrently(request, 20)) {
            ids.add(response.getExecution().getId());
        }
        assertEquals(1, ids.size());
        assertEquals(1, rowsWithRequestId(request.getRequestId()));
    }

    /** 20 concurrent Runs with one dedup key: exactly one QUEUED, the rest SKIPPED pointing at it. */
    @RepeatedTest(3)
    void concurrentRunsWithOneDedupKeyQueueExactlyOne() throws Exception {
        RunRequest request = RunRequest.newBuilder().setPipeline("race").setDedupKey(unique("race")).build();
        List<Execution> executions = concurrently(request, 20).stream().map(RunResponse::getExecution).toList();
        List<Execution> queued = executions.stream()
                .filter(e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_QUEUED).toList();
        assertEquals(1, queued.size(), "one QUEUED");
        for (Execution e : executions) {
            if (e != queued.get(0)) {
                assertEquals(ExecutionStatus.EXECUTION_STATUS_SKIPPED, e.getStatus());
                assertEquals(queued.get(0).getId(), e.getDuplicateOf());
            }
        }
        assertEquals(20, executions.stream().map(Execution::getId).distinct().count(), "20 rows");
    }

    /**
     * Runs with one dedup key while another task keeps cancelling whichever execution holds it: a
     * Run that collides with a holder that is gone by the time it looks tries again, so every Run
     * answers (QUEUED, or SKIPPED pointing at an execution of the same key), and at most one is active.
     */
    @RepeatedTest(3)
    void dedupRunsRacingCancelsOfTheHolderAllAnswer() throws Exception {
        String key = unique("churn");
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger cancelled = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService canceller = java.util.concurrent.Executors.newSingleThreadExecutor();
        java.util.concurrent.Future<?> cancelling = canceller.submit(() -> {
            try (Connection c = TestPostgres.jdbc(server.database());
                 PreparedStatement active = c.prepareStatement(
                         "SELECT id FROM executions WHERE dedup_key = ? AND status = 'QUEUED'")) {
                active.setString(1, key);
                while (!stop.get()) {
                    try (ResultSet r = active.executeQuery()) {
                        while (r.next()) {
                            server.executions().cancel(CancelRequest.newBuilder().setId(r.getString(1)).build());
                            cancelled.incrementAndGet();
                        }
                    }
                }
            }
            return null;
        });
        List<Execution> executions = new ArrayList<>();
        try {
            RunRequest request = RunRequest.newBuilder().setPipeline("churn").setDedupKey(key).build();
            // 10 at a time: fewer than the pool's connections, so a stall can only be a real wait.
            for (int round = 0; round < 8; round++) {
                concurrently(request, 10).forEach(response -> executions.add(response.getExecution()));
            }
        } finally {
            stop.set(true);
            cancelling.get(30, TimeUnit.SECONDS);
            canceller.shutdown();
        }
        Set<String> ids = new HashSet<>();
        executions.forEach(e -> ids.add(e.getId()));
        assertEquals(80, ids.size(), "every Run made its own row");
        for (Execution e : executions) {
            assertEquals(key, e.getDedupKey());
            if (e.getStatus() == ExecutionStatus.EXECUTION_STATUS_SKIPPED) {
                Execution holder = server.executions().getExecution(GetExecutionRequest.newBuilder()
                        .setId(e.getDuplicateOf()).build()).getExecution();
                assertEquals(key, holder.getDedupKey());
            } else {
                assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, e.getStatus());
            }
        }
        assertTrue(cancelled.get() > 0, "holders were cancelled during the runs");
        try (Connection c = TestPostgres.jdbc(server.database());
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM executions WHERE dedup_key = ?"
                     + " AND status IN ('QUEUED', 'RUNNING', 'CANCELLING')")) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                assertTrue(r.getInt(1) <= 1, "at most one active execution per key");
            }
        }
    }

    @Test
    void scheduledForParentAndTriggerAreStoredAndReturned() {
        Execution parent = run(RunRequest.newBuilder().setPipeline("parent").build());
        Instant later = Instant.now().plusSeconds(3600);
        Struct variables = Struct.newBuilder().putFields("document", Value.newBuilder().setStringValue("doc-9").build())
                .build();
        Execution child = run(RunRequest.newBuilder().setPipeline("child").setParentId(parent.getId())
                .setScheduledFor(Timestamps.fromMillis(later.toEpochMilli()))
                .setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_EVENT).setActor("uploader")
                        .setVariables(variables))
                .build());
        Execution got = server.executions().getExecution(GetExecutionRequest.newBuilder().setId(child.getId()).build())
                .getExecution();
        assertEquals(parent.getId(), got.getParentId());
        assertEquals(later.toEpochMilli(), Timestamps.toMillis(got.getScheduledFor()));
        assertEquals(TriggerKind.TRIGGER_KIND_EVENT, got.getTrigger().getKind());
        assertEquals("uploader", got.getTrigger().getActor());
        assertEquals(variables, got.getTrigger().getVariables());
    }

    @Test
    void unknownParentIsInvalidArgument() {
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> run(RunRequest.newBuilder()
                .setPipeline("child").setParentId(UUID.randomUUID().toString()).build()));
        assertEquals(List.of("parent_id"), Errors.violatedFields(error));
    }

    @Test
    void cancelOfAFinishedExecutionIsFailedPreconditionWithReason() {
        for (Action finish : new Action[] {Action.COMPLETE, Action.FAIL, Action.TIME_OUT}) {
            Execution e = run(RunRequest.newBuilder().setPipeline("p").build());
            UUID id = UUID.fromString(e.getId());
            store.transition(TransitionRequest.of(id, Action.CLAIM, "w", "")).block();
            String status = store.transition(TransitionRequest.of(id, finish, "w", "")).block().status().name();
            expectCancelRefused(e.getId(), status);
        }
        String key = unique("k");
        run(RunRequest.newBuilder().setPipeline("p").setDedupKey(key).build());
        Execution skipped = run(RunRequest.newBuilder().setPipeline("p").setDedupKey(key).build());
        expectCancelRefused(skipped.getId(), "SKIPPED");
    }

    private static void expectCancelRefused(String id, String status) {
        StatusRuntimeException error = Errors.expect(Status.Code.FAILED_PRECONDITION,
                () -> server.executions().cancel(CancelRequest.newBuilder().setId(id).setReason("stop").build()));
        ErrorInfo info = Errors.errorInfo(error).orElseThrow();
        assertEquals("TRANSITION_REFUSED", info.getReason());
        assertEquals(status, info.getMetadataOrThrow("status"));
        assertEquals("CANCEL", info.getMetadataOrThrow("action"));
        Execution after = server.executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build())
                .getExecution();
        assertEquals("EXECUTION_STATUS_" + status, after.getStatus().name(), "nothing changed");
    }

    @Test
    void cancelRunningBecomesCancellingAndRepeatsUnchanged() {
        Execution e = run(RunRequest.newBuilder().setPipeline("p").build());
        store.transition(TransitionRequest.of(UUID.fromString(e.getId()), Action.CLAIM, "w", "")).block();
        Execution cancelling = server.executions().cancel(CancelRequest.newBuilder().setId(e.getId())
                .setReason("not needed").build()).getExecution();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLING, cancelling.getStatus());
        Execution again = server.executions().cancel(CancelRequest.newBuilder().setId(e.getId()).build())
                .getExecution();
        assertEquals(cancelling.getRevision(), again.getRevision());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLING, again.getStatus());
        assertEquals("not needed", history(e.getId()).get(2).getReason());
    }

    @Test
    void rerunCopiesTheOriginalWithOverrides() {
        Struct inputs = Struct.newBuilder().putFields("day", Value.newBuilder().setStringValue("d1").build()).build();
        Execution original = run(RunRequest.newBuilder().setPipeline("nightly").setInputs(inputs)
                .putLabels("twin", "t7").setMode(dev.runplane.v1.ExecutionMode.EXECUTION_MODE_EXPERIMENT)
                .setPriority(3).setMaxAttempts(4).setDedupKey(unique("k")).build());

        Execution same = server.executions().rerun(RerunRequest.newBuilder().setId(original.getId()).build())
                .getExecution();
        assertNotEquals(original.getId(), same.getId());
        assertEquals(original.getId(), same.getRerunOf());
        assertEquals(TriggerKind.TRIGGER_KIND_RERUN, same.getTrigger().getKind());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, same.getStatus(), "a rerun is not deduplicated");
        assertEquals(original.getPipeline(), same.getPipeline());
        assertEquals(original.getInputs(), same.getInputs());
        assertEquals(original.getLabelsMap(), same.getLabelsMap());
        assertEquals(original.getMode(), same.getMode());
        assertEquals(3, same.getPriority());
        assertEquals(4, same.getMaxAttempts());

        Struct other = Struct.newBuilder().putFields("day", Value.newBuilder().setStringValue("d2").build()).build();
        RerunRequest overriding = RerunRequest.newBuilder().setId(original.getId()).setInputs(other).setPriority(-2)
                .setRequestId(unique("rerun")).build();
        Execution changed = server.executions().rerun(overriding).getExecution();
        assertEquals(other, changed.getInputs());
        assertEquals(-2, changed.getPriority());
        assertEquals(changed.getId(), server.executions().rerun(overriding).getExecution().getId(), "idempotent");

        Errors.expect(Status.Code.NOT_FOUND, () -> server.executions().rerun(
                RerunRequest.newBuilder().setId(UUID.randomUUID().toString()).build()));
        StatusRuntimeException bad = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.executions().rerun(
                RerunRequest.newBuilder().setId("x").setPriority(5000).build()));
        assertEquals(List.of("id", "priority"), Errors.violatedFields(bad));
    }

    @Test
    void eventHistoryIsOrderedAndPaged() {
        Execution e = run(RunRequest.newBuilder().setPipeline("p").build());
        UUID id = UUID.fromString(e.getId());
        store.transition(TransitionRequest.of(id, Action.CLAIM, "worker:w", "")).block();
        for (int i = 0; i < 3; i++) {
            store.transition(TransitionRequest.of(id, Action.RETRY, "reaper", "lease expired " + i)).block();
            store.transition(TransitionRequest.of(id, Action.CLAIM, "worker:w", "")).block();
        }
        store.transition(TransitionRequest.of(id, Action.COMPLETE, "worker:w", "")).block();

        List<ExecutionEvent> all = history(e.getId());
        assertEquals(9, all.size());
        for (int i = 0; i < all.size(); i++) {
            ExecutionEvent event = all.get(i);
            assertEquals(i + 1, event.getRevision());
            assertEquals(e.getId(), event.getExecutionId());
            assertTrue(event.hasEventTime());
            assertEquals(event.getToStatus(), event.getExecution().getStatus());
            if (i > 0) {
                assertEquals(all.get(i - 1).getToStatus(), event.getFromStatus());
            }
        }
        assertEquals(ExecutionStatus.EXECUTION_STATUS_UNSPECIFIED, all.get(0).getFromStatus());
        assertEquals("reaper", all.get(2).getActor());
        assertEquals("lease expired 0", all.get(2).getReason());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, all.get(8).getToStatus());

        Errors.expect(Status.Code.NOT_FOUND, () -> server.executions().listExecutionEvents(
                ListExecutionEventsRequest.newBuilder().setId(UUID.randomUUID().toString()).build()));
        StatusRuntimeException bad = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.executions()
                .listExecutionEvents(ListExecutionEventsRequest.newBuilder().setId(e.getId()).setPageSize(-1).build()));
        assertEquals(List.of("page_size"), Errors.violatedFields(bad));
        // A token of one execution's history is refused for another's.
        String token = server.executions().listExecutionEvents(ListExecutionEventsRequest.newBuilder()
                .setId(e.getId()).setPageSize(2).build()).getNextPageToken();
        Execution other = run(RunRequest.newBuilder().setPipeline("p").build());
        StatusRuntimeException reused = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.executions()
                .listExecutionEvents(ListExecutionEventsRequest.newBuilder().setId(other.getId())
                        .setPageToken(token).build()));
        assertEquals(List.of("page_token"), Errors.violatedFields(reused));
    }

    /** The whole history, read two events per page. */
    private static List<ExecutionEvent> history(String id) {
        List<ExecutionEvent> events = new ArrayList<>();
        String token = "";
        do {
            ListExecutionEventsResponse page = server.executions().listExecutionEvents(ListExecutionEventsRequest
                    .newBuilder().setId(id).setPageSize(2).setPageToken(token).build());
            assertTrue(page.getEventsCount() <= 2);
            events.addAll(page.getEventsList());
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        return events;
    }

    private static List<RunResponse> concurrently(RunRequest request, int callers) throws Exception {
        ExecutionServiceGrpc.ExecutionServiceFutureStub stub = ExecutionServiceGrpc.newFutureStub(server.channel());
        List<com.google.common.util.concurrent.ListenableFuture<RunResponse>> calls = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            calls.add(stub.withDeadlineAfter(30, TimeUnit.SECONDS).run(request));
        }
        List<RunResponse> responses = new ArrayList<>();
        for (var call : calls) {
            try {
                responses.add(call.get(30, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                throw new AssertionError("a concurrent Run failed", e.getCause());
            }
        }
        return responses;
    }

    private static int rowsWithRequestId(String requestId) throws Exception {
        try (Connection c = TestPostgres.jdbc(server.database());
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM executions WHERE request_id = ?")) {
            s.setString(1, requestId);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }
}
