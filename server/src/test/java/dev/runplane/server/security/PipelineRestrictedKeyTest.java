package dev.runplane.server.security;

import com.google.protobuf.util.Durations;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.Keys;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionServiceGrpc.ExecutionServiceBlockingStub;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.FailRequest;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.Lease;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.ListQueuesRequest;
import dev.runplane.v1.ListWorkersRequest;
import dev.runplane.v1.Queue;
import dev.runplane.v1.Worker;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RerunRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import dev.runplane.v1.WorkerServiceGrpc;
import dev.runplane.v1.WorkerServiceGrpc.WorkerServiceBlockingStub;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A key limited to pipeline "alpha" (docs/security.md, "Pipeline allow-list"), RPC by RPC: it
 * reaches alpha's executions by id and by lease, its Search and dashboard stream are narrowed to
 * alpha, and every call on a "beta" execution is PERMISSION_DENIED and changes nothing.
 */
class PipelineRestrictedKeyTest {

    private static TestServer server;
    private static String admin;
    private static String client;
    private static String worker;

    @BeforeAll
    static void start() {
        DatabaseAddress database = TestPostgres.newDatabase();
        server = TestServer.start(database);
        admin = createKey(null, List.of(KeyScope.KEY_SCOPE_ADMIN, KeyScope.KEY_SCOPE_READ, KeyScope.KEY_SCOPE_RUN,
                KeyScope.KEY_SCOPE_WORK), List.of());
        client = createKey(admin, List.of(KeyScope.KEY_SCOPE_READ, KeyScope.KEY_SCOPE_RUN), List.of("alpha"));
        worker = createKey(admin, List.of(KeyScope.KEY_SCOPE_WORK), List.of("alpha"));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static String createKey(String adminToken, List<KeyScope> scopes, List<String> pipelines) {
        return Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), adminToken)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .createKey(CreateKeyRequest.newBuilder().addAllScopes(scopes).addAllPipelines(pipelines)
                        .setDescription("test").build())
                .getToken();
    }

    private static ExecutionServiceBlockingStub executions(String token) {
        return Keys.withKey(ExecutionServiceGrpc.newBlockingStub(server.channel()), token)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static WorkerServiceBlockingStub workers(String token) {
        return Keys.withKey(WorkerServiceGrpc.newBlockingStub(server.channel()), token)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static Execution run(String token, String pipeline) {
        return executions(token).run(RunRequest.newBuilder().setPipeline(pipeline).build()).getExecution();
    }

    private static Execution get(String id) {
        return executions(admin).getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution();
    }

    /** The execution as stored: without the durations that the server derives from the clock at each read. */
    private static Execution stored(String id) {
        return get(id).toBuilder().clearWaitingTime().clearExecutionTime().build();
    }

    /** Claims the one execution queued in the pipeline (each test uses a pipeline of its own). */
    private static Assignment claim(String token, String pipeline) {
        List<Assignment> claimed = workers(token).poll(PollRequest.newBuilder().setWorkerId("w").addPipelines(pipeline)
                .setMaxWait(Durations.fromSeconds(5)).build()).getAssignmentsList();
        assertEquals(1, claimed.size());
        return claimed.get(0);
    }

    private static void expectNotAllowed(String pipeline, Executable call) {
        StatusRuntimeException error = Errors.expect(Status.Code.PERMISSION_DENIED, call);
        assertEquals("PIPELINE_NOT_ALLOWED", Errors.errorInfo(error).orElseThrow().getReason());
        assertEquals(pipeline, Errors.errorInfo(error).orElseThrow().getMetadataOrThrow("missing"));
    }

    @Test
    void aClientReadsWatchesAndCancelsTheExecutionsOfItsPipeline() {
        String id = run(client, "alpha").getId();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED,
                executions(client).getExecution(GetExecutionRequest.newBuilder().setId(id).build())
                        .getExecution().getStatus());
        Iterator<WatchExecutionResponse> watch = executions(client)
                .watchExecution(WatchExecutionRequest.newBuilder().setId(id).build());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, watch.next().getEvent().getExecution().getStatus());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED,
                executions(client).cancel(CancelRequest.newBuilder().setId(id).build()).getExecution().getStatus());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, watch.next().getEvent().getExecution().getStatus());
        assertFalse(watch.hasNext(), "the watch ends with the execution");
        assertEquals(2, executions(client).listExecutionEvents(ListExecutionEventsRequest.newBuilder().setId(id).build())
                .getEventsCount());
        assertEquals("alpha", executions(client).rerun(RerunRequest.newBuilder().setId(id).build())
                .getExecution().getPipeline());
    }

    @Test
    void everyCallOnAnExecutionOfAnotherPipelineIsDeniedAndChangesNothing() {
        String id = run(admin, "beta").getId();
        Execution before = stored(id);
        expectNotAllowed("beta", () -> executions(client).getExecution(GetExecutionRequest.newBuilder().setId(id).build()));
        expectNotAllowed("beta", () -> executions(client).cancel(CancelRequest.newBuilder().setId(id).build()));
        expectNotAllowed("beta", () -> executions(client).rerun(RerunRequest.newBuilder().setId(id).build()));
        expectNotAllowed("beta", () -> executions(client).listExecutionEvents(
                ListExecutionEventsRequest.newBuilder().setId(id).build()));
        expectNotAllowed("beta", () -> executions(client).watchExecution(
                WatchExecutionRequest.newBuilder().setId(id).build()).hasNext());
        assertEquals(before, stored(id));
        assertEquals(0, executions(admin).search(SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder()
                .addPipelines("beta").addStatuses(ExecutionStatus.EXECUTION_STATUS_CANCELLED)).build())
                .getExecutionsCount(), "no Rerun or Cancel happened in beta");
    }

    @Test
    void unknownAndMalformedIdsAnswerAsForAnyKey() {
        Errors.expect(Status.Code.NOT_FOUND, () -> executions(client).getExecution(
                GetExecutionRequest.newBuilder().setId(UUID.randomUUID().toString()).build()));
        assertEquals(List.of("id"), Errors.violatedFields(Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> executions(client).getExecution(GetExecutionRequest.newBuilder().setId("nope").build()))));
    }

    @Test
    void searchWithoutPipelinesIsNarrowedToTheKeysAndNamingAnotherIsDenied() {
        String alpha = run(client, "alpha").getId();
        run(admin, "beta");
        List<Execution> found = executions(client).search(SearchRequest.newBuilder().setPageSize(1000).build())
                .getExecutionsList();
        assertTrue(found.stream().anyMatch(e -> e.getId().equals(alpha)));
        assertTrue(found.stream().allMatch(e -> e.getPipeline().equals("alpha")), found::toString);
        expectNotAllowed("beta", () -> executions(client).search(SearchRequest.newBuilder()
                .setFilter(ExecutionFilter.newBuilder().addPipelines("alpha").addPipelines("beta")).build()));
    }

    /** Issue 19: ListQueues and ListWorkers are narrowed as Search is. */
    @Test
    void queuesAndWorkersWithoutPipelinesShowOnlyTheKeysAndNamingAnotherIsDenied() throws InterruptedException {
        run(admin, "alpha");
        run(admin, "beta");
        workers(admin).poll(PollRequest.newBuilder().setWorkerId("both").addPipelines("alpha").addPipelines("beta")
                .setMaxWait(Durations.fromMillis(0)).setMaxExecutions(1).build());
        workers(admin).poll(PollRequest.newBuilder().setWorkerId("beta-only").addPipelines("beta")
                .setMaxWait(Durations.fromMillis(0)).setMaxExecutions(1).build());
        // The admin key sees both pipelines (and waits for the recorded workers).
        Eventually.await(Duration.ofSeconds(10), "both workers recorded", () -> executions(admin)
                .listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList().stream()
                .filter(w -> w.getWorkerId().equals("both") || w.getWorkerId().equals("beta-only")).count() == 2);
        List<String> all = executions(admin).listQueues(ListQueuesRequest.getDefaultInstance()).getQueuesList()
                .stream().map(Queue::getPipeline).toList();
        assertTrue(all.contains("alpha") && all.contains("beta"), all::toString);

        assertEquals(List.of("alpha"), executions(client).listQueues(ListQueuesRequest.getDefaultInstance())
                .getQueuesList().stream().map(Queue::getPipeline).toList());
        List<Worker> shown = executions(client).listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList();
        assertTrue(shown.stream().noneMatch(w -> w.getWorkerId().equals("beta-only")), shown::toString);
        Worker both = shown.stream().filter(w -> w.getWorkerId().equals("both")).findFirst().orElseThrow();
        assertEquals(List.of("alpha"), both.getPipelinesList(), "beta's name is not shown");
        expectNotAllowed("beta", () -> executions(client).listQueues(ListQueuesRequest.newBuilder()
                .addPipelines("alpha").addPipelines("beta").build()));
        expectNotAllowed("beta", () -> executions(client).listWorkers(ListWorkersRequest.newBuilder()
                .addPipelines("beta").build()));
    }

    @Test
    void theDashboardStreamWithoutPipelinesShowsOnlyTheKeysPipelines() throws InterruptedException {
        server.awaitWatchers(0);
        Iterator<WatchExecutionsResponse> stream = executions(client)
                .watchExecutions(WatchExecutionsRequest.getDefaultInstance());
        server.awaitWatchers(1);
        run(admin, "beta");
        String alpha = run(admin, "alpha").getId();
        // Up to alpha's event: another test's alpha execution may change meanwhile (its lease expiring).
        Execution shown;
        do {
            shown = stream.next().getEvent().getExecution();
            assertEquals("alpha", shown.getPipeline(), "beta's event is not shown");
        } while (!shown.getId().equals(alpha));
        expectNotAllowed("beta", () -> executions(client).watchExecutions(WatchExecutionsRequest.newBuilder()
                .setFilter(ExecutionFilter.newBuilder().addPipelines("beta")).build()).hasNext());
    }

    @Test
    void aWorkerFinishesTheWorkOfItsPipelineByLease() {
        String pipeline = "alpha";
        for (int i = 0; i < 3; i++) {
            run(admin, pipeline);
        }
        Lease first = claim(worker, pipeline).getLease();
        workers(worker).heartbeat(HeartbeatRequest.newBuilder().setLease(first).setMessage("half way").build());
        workers(worker).complete(CompleteRequest.newBuilder().setLease(first).build());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, get(first.getExecutionId()).getStatus());
        Lease second = claim(worker, pipeline).getLease();
        workers(worker).completeBatch(CompleteBatchRequest.newBuilder()
                .addCompletions(CompleteRequest.newBuilder().setLease(second)).build());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, get(second.getExecutionId()).getStatus());
        Lease third = claim(worker, pipeline).getLease();
        workers(worker).fail(FailRequest.newBuilder().setLease(third).setError("boom").build());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_FAILED, get(third.getExecutionId()).getStatus());
    }

    @Test
    void aLeaseOfAnotherPipelineIsDeniedAndChangesNothing() {
        run(admin, "gamma");
        Lease gamma = claim(admin, "gamma").getLease();
        run(admin, "alpha");
        Lease alpha = claim(worker, "alpha").getLease();
        Execution before = stored(gamma.getExecutionId());
        expectNotAllowed("gamma", () -> workers(worker).heartbeat(HeartbeatRequest.newBuilder().setLease(gamma)
                .setMessage("mine now").build()));
        expectNotAllowed("gamma", () -> workers(worker).complete(CompleteRequest.newBuilder().setLease(gamma).build()));
        expectNotAllowed("gamma", () -> workers(worker).fail(FailRequest.newBuilder().setLease(gamma).build()));
        expectNotAllowed("gamma", () -> workers(worker).completeBatch(CompleteBatchRequest.newBuilder()
                .addCompletions(CompleteRequest.newBuilder().setLease(alpha))
                .addCompletions(CompleteRequest.newBuilder().setLease(gamma)).build()));
        assertEquals(before, stored(gamma.getExecutionId()));
        assertEquals(ExecutionStatus.EXECUTION_STATUS_RUNNING, get(alpha.getExecutionId()).getStatus(),
                "a refused batch completes none of its items");
        expectNotAllowed("gamma", () -> workers(worker).poll(PollRequest.newBuilder().setWorkerId("w")
                .addPipelines("gamma").build()));
    }
}
