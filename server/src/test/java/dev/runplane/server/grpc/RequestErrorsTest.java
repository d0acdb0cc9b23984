package dev.runplane.server.grpc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.BadRequest;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.RerunRequest;
import dev.runplane.v1.RevokeKeyRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The exact BadRequest (field and description, in order) of every request whose checks live in a
 * validator, through real gRPC on a real PostgreSQL: what a client reads must not move when the
 * checks move between classes. A refused request changes nothing.
 */
class RequestErrorsTest {

    private static final String NOT_AN_ID =
            "must be an execution id (a UUID such as 0190c3e4-5b6f-7a00-8b1c-2d3e4f5a6b7c)";

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    /** "field: description" of every violation, in the order the server reported them. */
    private static List<String> violations(Executable call) {
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT, call);
        return Errors.details(error, BadRequest.class).orElseThrow().getFieldViolationsList().stream()
                .map(v -> v.getField() + ": " + v.getDescription()).toList();
    }

    private static Execution queued() {
        return server.executions().run(RunRequest.newBuilder().setPipeline("errors").build()).getExecution();
    }

    private static Execution current(Execution e) {
        return server.executions().getExecution(GetExecutionRequest.newBuilder().setId(e.getId()).build())
                .getExecution();
    }

    @Test
    void getExecution() {
        assertEquals(List.of("id: is required"),
                violations(() -> server.executions().getExecution(GetExecutionRequest.getDefaultInstance())));
        assertEquals(List.of("id: " + NOT_AN_ID),
                violations(() -> server.executions().getExecution(GetExecutionRequest.newBuilder().setId("x")
                        .build())));
    }

    @Test
    void cancelNamesEveryBadFieldAndCancelsNothing() {
        Execution run = queued();
        assertEquals(List.of("id: is required", "reason: must be at most 1024 characters"),
                violations(() -> server.executions().cancel(CancelRequest.newBuilder()
                        .setReason("r".repeat(1025)).build())));
        assertEquals(List.of("reason: must not contain NUL characters"),
                violations(() -> server.executions().cancel(CancelRequest.newBuilder().setId(run.getId())
                        .setReason("a\0b").build())));
        assertEquals(List.of("id: " + NOT_AN_ID),
                violations(() -> server.executions().cancel(CancelRequest.newBuilder().setId("nope").build())));
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, current(run).getStatus());
    }

    @Test
    void rerunNamesEveryBadFieldAndCreatesNothing() {
        Execution run = queued();
        Struct big = Struct.newBuilder()
                .putFields("blob", Value.newBuilder().setStringValue("x".repeat(70 * 1024)).build()).build();
        assertEquals(List.of("id: " + NOT_AN_ID, "inputs: must be at most 65536 bytes as JSON",
                        "priority: must be from -1000 to 1000", "request_id: must be at most 128 characters"),
                violations(() -> server.executions().rerun(RerunRequest.newBuilder().setId("1234")
                        .setInputs(big).setPriority(1001).setRequestId("q".repeat(129)).build())));
        assertEquals(List.of("id: is required"),
                violations(() -> server.executions().rerun(RerunRequest.getDefaultInstance())));
        long reruns = server.executions().search(SearchRequest.newBuilder()
                .setFilter(ExecutionFilter.newBuilder().addPipelines("errors")).build()).getExecutionsList().stream()
                .filter(e -> e.getRerunOf().equals(run.getId())).count();
        assertEquals(0, reruns);
    }

    @Test
    void listExecutionEvents() {
        assertEquals(List.of("id: is required", "page_size: must not be negative",
                        "page_token: must be at most 512 characters"),
                violations(() -> server.executions().listExecutionEvents(ListExecutionEventsRequest.newBuilder()
                        .setPageSize(-1).setPageToken("t".repeat(513)).build())));
    }

    @Test
    void watchExecution() {
        assertEquals(List.of("id: is required", "after_revision: must not be negative"),
                violations(() -> server.executions().watchExecution(WatchExecutionRequest.newBuilder()
                        .setAfterRevision(-1).build()).hasNext()));
    }

    @Test
    void searchFilterNamesTheFieldOnce() {
        ExecutionFilter filter = ExecutionFilter.newBuilder()
                .addIds("").addIds("bad").addIds("bad")
                .addPipelines("Bad").addPipelines("")
                .addStatuses(ExecutionStatus.EXECUTION_STATUS_UNSPECIFIED).addStatusesValue(99)
                .addModesValue(0).addModesValue(42)
                .putLabels("bad key", "v")
                .build();
        assertEquals(List.of(
                        "filter.ids: " + NOT_AN_ID, "filter.ids: " + NOT_AN_ID,
                        "filter.pipelines: is required", "filter.pipelines: must match [a-z0-9][a-z0-9_.-]{0,127}",
                        "filter.statuses: must be known statuses (EXECUTION_STATUS_QUEUED, ...)",
                        "filter.statuses: must be known statuses (EXECUTION_STATUS_QUEUED, ...)",
                        "filter.modes: must be EXECUTION_MODE_PRODUCTION or EXECUTION_MODE_EXPERIMENT",
                        "filter.modes: must be EXECUTION_MODE_PRODUCTION or EXECUTION_MODE_EXPERIMENT",
                        "filter.labels: key 'bad key' must match [A-Za-z0-9][A-Za-z0-9_.-/]{0,62}"),
                violations(() -> server.executions().search(SearchRequest.newBuilder().setFilter(filter).build())));
    }

    @Test
    void watchExecutionsFilterNamesEachValue() {
        ExecutionFilter filter = ExecutionFilter.newBuilder()
                .addIds("").addIds("bad")
                .addPipelines("Bad")
                .addStatuses(ExecutionStatus.EXECUTION_STATUS_UNSPECIFIED).addStatusesValue(99)
                .addModesValue(0).addModesValue(42)
                .putLabels("bad key", "v")
                .setParentId("p").setMinPriority(5).setMaxPriority(1)
                .build();
        assertEquals(List.of("after_sequence: must be the sequence of an event, 0 (from now) or -1 (from the oldest"
                                + " retained event)",
                        "snapshot: cannot be combined with after_sequence: resume from the sequence of"
                                + " snapshot_complete, a later event or a heartbeat without snapshot",
                        "filter.ids[0]: is required", "filter.ids[1]: " + NOT_AN_ID,
                        "filter.pipelines[0]: must match [a-z0-9][a-z0-9_.-]{0,127}",
                        "filter.statuses[0]: must be a known status", "filter.statuses[1]: must be a known status",
                        "filter.modes[0]: must be a known mode", "filter.modes[1]: must be a known mode",
                        "filter.labels: key 'bad key' must match [A-Za-z0-9][A-Za-z0-9_.-/]{0,62}",
                        "filter.min_priority: must not be above max_priority",
                        "filter.parent_id: " + NOT_AN_ID,
                        "heartbeat_interval: must be from 1s to 3600s (unset or 0: 15s)"),
                violations(() -> server.executions().watchExecutions(WatchExecutionsRequest.newBuilder()
                        .setAfterSequence(-2).setSnapshot(true).setFilter(filter)
                        .setHeartbeatInterval(com.google.protobuf.Duration.newBuilder().setNanos(500_000_000))
                        .build()).hasNext()));
    }

    @Test
    void keys() {
        KeyServiceGrpc.KeyServiceBlockingStub keys = KeyServiceGrpc.newBlockingStub(server.channel())
                .withDeadlineAfter(10, TimeUnit.SECONDS); // loopback, no key yet: the bootstrap admin
        assertEquals(List.of("id: must be a key id: 1 to 64 characters of [A-Za-z0-9]"),
                violations(() -> keys.revokeKey(RevokeKeyRequest.newBuilder().setId("no-dashes").build())));
        assertEquals(List.of("scopes: at least one scope is required (read, run, work, admin)"),
                violations(() -> keys.createKey(CreateKeyRequest.getDefaultInstance())));
        assertEquals(List.of("scopes[0]: must be READ, RUN, WORK or ADMIN",
                        "pipelines[0]: must match [a-z0-9][a-z0-9_.-]{0,127}",
                        "description: must be at most 1024 characters"),
                violations(() -> keys.createKey(CreateKeyRequest.newBuilder().addScopesValue(0).addPipelines("X")
                        .setDescription("d".repeat(1025)).build())));
    }
}
