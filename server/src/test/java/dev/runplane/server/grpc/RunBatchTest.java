package dev.runplane.server.grpc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.ItemError;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunBatchResponse;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResult;
import dev.runplane.v1.Trigger;
import dev.runplane.v1.TriggerKind;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RunBatch through a real gRPC stack on a real PostgreSQL: each Run as Run alone would go, in one commit. */
class RunBatchTest {

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    private static RunRequest.Builder run(String pipeline, int n) {
        return RunRequest.newBuilder().setPipeline(pipeline).putLabels("n", Integer.toString(n))
                .setInputs(Struct.newBuilder().putFields("n", Value.newBuilder().setNumberValue(n).build()));
    }

    private static RunBatchResponse runBatch(RunRequest.Builder... runs) {
        RunBatchRequest.Builder request = RunBatchRequest.newBuilder();
        for (RunRequest.Builder r : runs) {
            request.addRuns(r);
        }
        return server.executions().runBatch(request.build());
    }

    private static long count(String sql) throws Exception {
        try (Connection c = TestPostgres.jdbc(server.database()); ResultSet r = c.createStatement().executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    @Test
    void eachRunHasItsOwnOutcomeInRequestOrderAndTheValidOnesShareOneCommit() throws Exception {
        String pipeline = "batch-" + UUID.randomUUID();
        RunBatchResponse response = runBatch(
                run(pipeline, 0),
                run("Not A Pipeline", 1),
                run(pipeline, 2).setPriority(7),
                run(pipeline, 3).setPriority(5000),
                run(pipeline, 4));

        assertEquals(5, response.getResultsCount());
        for (int i : new int[] {0, 2, 4}) {
            RunResult result = response.getResults(i);
            assertEquals(RunResult.OutcomeCase.EXECUTION, result.getOutcomeCase(), "result " + i);
            Execution e = result.getExecution();
            assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, e.getStatus());
            assertEquals(pipeline, e.getPipeline());
            assertEquals(Integer.toString(i), e.getLabelsOrThrow("n"), "in request order");
            assertEquals(i, e.getInputs().getFieldsOrThrow("n").getNumberValue(), 0.0);
        }
        assertEquals(7, response.getResults(2).getExecution().getPriority());
        ItemError badPipeline = response.getResults(1).getError();
        assertEquals(Status.Code.INVALID_ARGUMENT.value(), badPipeline.getCode());
        assertEquals("pipeline", badPipeline.getFieldViolations(0).getField(), "named as in Run alone");
        assertEquals("INVALID_FIELD", badPipeline.getReason());
        ItemError badPriority = response.getResults(3).getError();
        assertEquals(Status.Code.INVALID_ARGUMENT.value(), badPriority.getCode());
        assertEquals("priority", badPriority.getFieldViolations(0).getField());

        assertEquals(3, count("SELECT count(*) FROM executions WHERE pipeline = '" + pipeline + "'"));
        assertEquals(1, count("SELECT count(DISTINCT ev.xid) FROM execution_events ev JOIN executions x"
                + " ON x.id = ev.execution_id WHERE x.pipeline = '" + pipeline + "'"), "one commit for the batch");
    }

    @Test
    void requestIdAndDedupKeyWorkWithinABatchAsAcrossRuns() throws Exception {
        String requestId = "req-" + UUID.randomUUID();
        String dedupKey = "dedup-" + UUID.randomUUID();
        RunRequest.Builder same = run("batch-idem", 0).setRequestId(requestId);
        RunBatchResponse response = runBatch(
                same,
                same.clone(),                               // a retry of the same request: the same execution
                run("batch-idem", 1).setRequestId(requestId), // the same id, another request
                run("batch-idem", 2).setDedupKey(dedupKey),
                run("batch-idem", 3).setDedupKey(dedupKey));

        Execution first = response.getResults(0).getExecution();
        assertEquals(first.getId(), response.getResults(1).getExecution().getId());
        ItemError reused = response.getResults(2).getError();
        assertEquals(Status.Code.ALREADY_EXISTS.value(), reused.getCode());
        assertEquals("REQUEST_ID_REUSED", reused.getReason());
        assertEquals(first.getId(), reused.getMetadataOrThrow("execution_id"));

        Execution holder = response.getResults(3).getExecution();
        Execution skipped = response.getResults(4).getExecution();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, holder.getStatus());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SKIPPED, skipped.getStatus());
        assertEquals(holder.getId(), skipped.getDuplicateOf());
        assertEquals(1, count("SELECT count(*) FROM executions WHERE request_id = '" + requestId + "'"));
    }

    @Test
    void runsThatReferToOtherExecutionsAreCheckedEachAlone() {
        Execution parent = server.executions().run(run("batch-parent", 0).build()).getExecution();
        RunBatchResponse response = runBatch(
                run("batch-child", 1).setParentId(parent.getId()),
                run("batch-child", 2).setParentId(UUID.randomUUID().toString()),
                run("batch-child", 3));
        assertEquals(parent.getId(), response.getResults(0).getExecution().getParentId());
        ItemError unknownParent = response.getResults(1).getError();
        assertEquals(Status.Code.INVALID_ARGUMENT.value(), unknownParent.getCode());
        assertEquals("parent_id", unknownParent.getFieldViolations(0).getField());
        assertTrue(response.getResults(2).hasExecution(), "the unknown parent fails only its own Run");
    }

    /** Issue 17, item 17: a Run of a batch may not claim the server-only trigger kind RERUN either. */
    @Test
    void aRunClaimingToBeARerunIsRefusedAloneWithTheTriggerKindNamed() throws Exception {
        RunBatchResponse response = runBatch(
                run("batch-fake-rerun", 1).setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_RERUN)),
                run("batch-fake-rerun", 2).setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_EVENT)));
        ItemError refused = response.getResults(0).getError();
        assertEquals(Status.Code.INVALID_ARGUMENT.value(), refused.getCode());
        assertEquals(List.of("trigger.kind"), refused.getFieldViolationsList().stream()
                .map(ItemError.FieldViolation::getField).toList());
        assertEquals(TriggerKind.TRIGGER_KIND_EVENT, response.getResults(1).getExecution().getTrigger().getKind());
        assertEquals(1, count("SELECT count(*) FROM executions WHERE pipeline = 'batch-fake-rerun'"));
    }

    @Test
    void aBatchOfNoneOrTooManyIsRefusedWholeAndQueuesNothing() throws Exception {
        StatusRuntimeException empty = Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> server.executions().runBatch(RunBatchRequest.getDefaultInstance()));
        assertEquals(List.of("runs"), Errors.violatedFields(empty));

        RunBatchRequest.Builder tooMany = RunBatchRequest.newBuilder();
        for (int i = 0; i < RunRequestValidator.MAX_BATCH + 1; i++) {
            tooMany.addRuns(run("batch-too-many", i));
        }
        StatusRuntimeException refused = Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> server.executions().runBatch(tooMany.build()));
        assertEquals(List.of("runs"), Errors.violatedFields(refused));
        assertEquals(0, count("SELECT count(*) FROM executions WHERE pipeline = 'batch-too-many'"));
    }

    @Test
    void aBatchOfOnlyBadRunsAnswersEachWithItsErrorAndQueuesNothing() throws Exception {
        RunBatchResponse response = runBatch(run("", 0), run("batch-all-bad", 1).setMaxAttempts(1000));
        assertEquals("pipeline", response.getResults(0).getError().getFieldViolations(0).getField());
        assertEquals("max_attempts", response.getResults(1).getError().getFieldViolations(0).getField());
        assertEquals(0, count("SELECT count(*) FROM executions WHERE pipeline = 'batch-all-bad'"));
    }

    @Test
    void aFullBatchIsOneStatement() throws Exception {
        RunBatchRequest.Builder full = RunBatchRequest.newBuilder();
        for (int i = 0; i < RunRequestValidator.MAX_BATCH; i++) {
            full.addRuns(run("batch-full", i));
        }
        RunBatchResponse response = server.executions().runBatch(full.build());
        for (int i = 0; i < RunRequestValidator.MAX_BATCH; i++) {
            assertEquals(Integer.toString(i), response.getResults(i).getExecution().getLabelsOrThrow("n"));
        }
        assertEquals(1, count("SELECT count(DISTINCT ev.xid) FROM execution_events ev JOIN executions x"
                + " ON x.id = ev.execution_id WHERE x.pipeline = 'batch-full'"));
    }
}
