package dev.runplane.server.grpc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import com.google.rpc.ResourceInfo;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionMode;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.Trigger;
import dev.runplane.v1.TriggerKind;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ExecutionService through a real gRPC stack (in-process transport) on a real PostgreSQL. */
class ExecutionServiceTest {

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    @Test
    void runQueuesAndGetReturnsTheSameExecution() {
        RunRequest request = RunRequest.newBuilder()
                .setPipeline("nightly")
                .setInputs(Struct.newBuilder().putFields("day", Value.newBuilder().setStringValue("2026-11-22").build()))
                .putLabels("twin", "turbine-7")
                .setMode(ExecutionMode.EXECUTION_MODE_EXPERIMENT)
                .setPriority(5)
                .setMaxAttempts(3)
                .setMaxRuntime(Durations.fromMinutes(10))
                .setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_MANUAL).setActor("ana"))
                .build();
        Execution run = server.executions().run(request).getExecution();

        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, run.getStatus());
        assertEquals(1, run.getRevision());
        assertTrue(run.hasCreateTime() && run.hasQueueTime() && run.hasUpdateTime() && run.hasScheduledFor());
        assertFalse(run.hasStartTime() || run.hasEndTime());
        assertEquals("2026-11-22", run.getInputs().getFieldsOrThrow("day").getStringValue());
        assertEquals("turbine-7", run.getLabelsOrThrow("twin"));
        assertEquals(ExecutionMode.EXECUTION_MODE_EXPERIMENT, run.getMode());
        assertEquals(5, run.getPriority());
        assertEquals(3, run.getMaxAttempts());
        assertEquals(0, run.getAttempt());
        assertEquals(Durations.fromMinutes(10), run.getMaxRuntime());
        assertEquals(TriggerKind.TRIGGER_KIND_MANUAL, run.getTrigger().getKind());
        assertEquals("ana", run.getTrigger().getActor());

        Execution got = server.executions().getExecution(GetExecutionRequest.newBuilder().setId(run.getId()).build())
                .getExecution();
        // Waiting time grows while it is queued, and GetExecution adds the queue position (issue 19:
        // only its answer carries one); everything else is the same.
        assertTrue(got.getQueuePosition() >= 1, got::toString);
        assertEquals(0, run.getQueuePosition());
        assertEquals(run.toBuilder().clearWaitingTime().build(),
                got.toBuilder().clearWaitingTime().clearQueuePosition().build());
    }

    @Test
    void defaultsAreFilledIn() {
        Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("p").build()).getExecution();
        assertEquals(ExecutionMode.EXECUTION_MODE_PRODUCTION, run.getMode());
        assertEquals(1, run.getMaxAttempts());
        assertEquals(TriggerKind.TRIGGER_KIND_API, run.getTrigger().getKind());
        assertEquals(0, run.getInputs().getFieldsCount());
        assertFalse(run.hasMaxRuntime());
    }

    @Test
    void unknownIdIsNotFound() {
        String id = UUID.randomUUID().toString();
        StatusRuntimeException error = Errors.expect(Status.Code.NOT_FOUND,
                () -> server.executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build()));
        assertEquals(id, Errors.details(error, ResourceInfo.class).orElseThrow().getResourceName());
    }

    @Test
    void malformedIdIsInvalidArgument() {
        for (String id : new String[] {"", "42", "not-a-uuid", "'; DROP TABLE executions; --"}) {
            StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT,
                    () -> server.executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build()));
            assertEquals(java.util.List.of("id"), Errors.violatedFields(error));
        }
    }

    @Test
    void cancelQueuedIsImmediateAndRepeatable() {
        Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("p").build()).getExecution();
        Execution cancelled = server.executions().cancel(CancelRequest.newBuilder().setId(run.getId())
                .setReason("wrong day").build()).getExecution();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, cancelled.getStatus());
        assertEquals(2, cancelled.getRevision());
        assertTrue(cancelled.hasEndTime());
        assertEquals("wrong day", cancelled.getMessage());

        Execution again = server.executions().cancel(CancelRequest.newBuilder().setId(run.getId()).build())
                .getExecution();
        assertEquals(cancelled.getRevision(), again.getRevision(), "a second cancel changes nothing");
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, again.getStatus());
    }
}
