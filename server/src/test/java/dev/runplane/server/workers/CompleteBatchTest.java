package dev.runplane.server.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.CompleteBatchResponse;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CompleteResult;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.ItemError;
import dev.runplane.v1.Lease;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.PollResponse;
import dev.runplane.v1.RunRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** CompleteBatch through a real gRPC stack on a real PostgreSQL: each item as Complete alone would go. */
class CompleteBatchTest {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(TestPostgres.newDatabase(), WorkerServiceTest.FAST);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static List<Assignment> claim(String pipeline, int n) {
        for (int i = 0; i < n; i++) {
            server.executions().run(RunRequest.newBuilder().setPipeline(pipeline).build());
        }
        PollResponse response = server.workers().poll(PollRequest.newBuilder().setWorkerId("w-batch")
                .addPipelines(pipeline).setMaxExecutions(n).setMaxWait(Durations.fromSeconds(5))
                .setLeaseDuration(Durations.fromSeconds(30)).build());
        assertEquals(n, response.getAssignmentsCount(), "claimed the batch");
        return response.getAssignmentsList();
    }

    private static CompleteRequest completion(Lease lease, int n) {
        return CompleteRequest.newBuilder().setLease(lease)
                .setOutputs(Struct.newBuilder().putFields("n", Value.newBuilder().setNumberValue(n).build())).build();
    }

    private static ExecutionStatus status(String id) {
        return server.executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build())
                .getExecution().getStatus();
    }

    private static long events(String pipeline) throws Exception {
        try (Connection c = TestPostgres.jdbc(server.database()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM execution_events e JOIN executions x"
                     + " ON x.id = e.execution_id WHERE x.pipeline = '" + pipeline + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void eachCompletionHasItsOwnOutcomeInRequestOrder() throws Exception {
        List<Assignment> claimed = claim("batch-mixed", 5);
        Lease stale = claimed.get(1).getLease().toBuilder().setToken("not-the-token").build();
        CompleteBatchResponse response = server.workers().completeBatch(CompleteBatchRequest.newBuilder()
                .addCompletions(completion(claimed.get(0).getLease(), 0))
                .addCompletions(completion(stale, 1))
                .addCompletions(CompleteRequest.newBuilder().build()) // no lease
                .addCompletions(completion(claimed.get(3).getLease(), 3))
                .addCompletions(completion(claimed.get(4).getLease(), 4))
                .build());

        assertEquals(5, response.getResultsCount());
        for (int i : new int[] {0, 3, 4}) {
            CompleteResult result = response.getResults(i);
            assertEquals(CompleteResult.OutcomeCase.EXECUTION, result.getOutcomeCase(), "result " + i);
            assertEquals(claimed.get(i).getExecution().getId(), result.getExecution().getId(), "in request order");
            assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, result.getExecution().getStatus());
            assertEquals(i, result.getExecution().getOutputs().getFieldsOrThrow("n").getNumberValue(), 0.0);
        }
        ItemError lost = response.getResults(1).getError();
        assertEquals(Status.Code.ABORTED.value(), lost.getCode());
        assertEquals("LEASE_LOST", lost.getReason());
        assertEquals(claimed.get(1).getExecution().getId(), lost.getMetadataOrThrow("execution_id"));
        ItemError invalid = response.getResults(2).getError();
        assertEquals(Status.Code.INVALID_ARGUMENT.value(), invalid.getCode());
        assertEquals("lease", invalid.getFieldViolations(0).getField());

        // The refused items changed nothing: the stale one still runs, under its real lease.
        assertEquals(ExecutionStatus.EXECUTION_STATUS_RUNNING, status(claimed.get(1).getExecution().getId()));
        assertEquals(ExecutionStatus.EXECUTION_STATUS_RUNNING, status(claimed.get(2).getExecution().getId()));
        assertEquals(5 * 2 + 3, events("batch-mixed"), "QUEUED and RUNNING for each, SUCCEEDED for three");

        // ... and a second batch with the right leases finishes them.
        CompleteBatchResponse second = server.workers().completeBatch(CompleteBatchRequest.newBuilder()
                .addCompletions(completion(claimed.get(1).getLease(), 1))
                .addCompletions(completion(claimed.get(2).getLease(), 2)).build());
        assertTrue(second.getResultsList().stream().allMatch(CompleteResult::hasExecution));
        assertEquals(5 * 3, events("batch-mixed"));
    }

    @Test
    void aRepeatedCompletionInOneBatchSucceedsOnceAndIsRefusedOnce() throws Exception {
        Lease lease = claim("batch-repeat", 1).get(0).getLease();
        CompleteBatchResponse response = server.workers().completeBatch(CompleteBatchRequest.newBuilder()
                .addCompletions(completion(lease, 1)).addCompletions(completion(lease, 2)).build());
        long succeeded = response.getResultsList().stream().filter(CompleteResult::hasExecution).count();
        assertEquals(1, succeeded, "one of the two completions of the same lease took effect");
        ItemError refused = response.getResultsList().stream().filter(CompleteResult::hasError).findFirst()
                .orElseThrow().getError();
        assertEquals(Status.Code.ABORTED.value(), refused.getCode());
        assertEquals(3, events("batch-repeat"), "QUEUED, RUNNING, SUCCEEDED: one completion recorded");
    }

    @Test
    void aBatchOfNoneOrTooManyIsRefusedWhole() {
        StatusRuntimeException empty = Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> server.workers().completeBatch(CompleteBatchRequest.getDefaultInstance()));
        assertEquals(List.of("completions"), Errors.violatedFields(empty));

        List<Assignment> claimed = claim("batch-too-many", 1);
        CompleteBatchRequest.Builder tooMany = CompleteBatchRequest.newBuilder();
        for (int i = 0; i < 101; i++) {
            tooMany.addCompletions(completion(claimed.get(0).getLease(), i));
        }
        StatusRuntimeException refused = Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> server.workers().completeBatch(tooMany.build()));
        assertEquals(List.of("completions"), Errors.violatedFields(refused));
        assertEquals(ExecutionStatus.EXECUTION_STATUS_RUNNING, status(claimed.get(0).getExecution().getId()),
                "a refused batch changes nothing");
    }
}
