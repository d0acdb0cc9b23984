package dev.runplane.server.grpc;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.ExecutionMode;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.Trigger;
import dev.runplane.v1.TriggerKind;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every validation rule of Run: INVALID_ARGUMENT, the field named in BadRequest, and nothing stored. */
class RunValidationTest {

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    private static RunRequest.Builder valid() {
        return RunRequest.newBuilder().setPipeline("nightly");
    }

    private static Struct bigStruct(int bytes) {
        return Struct.newBuilder().putFields("blob", Value.newBuilder().setStringValue("x".repeat(bytes)).build()).build();
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                bad("pipeline", "missing pipeline", b -> b.clearPipeline()),
                bad("pipeline", "upper case pipeline", b -> b.setPipeline("Nightly")),
                bad("pipeline", "pipeline with a space", b -> b.setPipeline("night ly")),
                bad("pipeline", "pipeline of 129 characters", b -> b.setPipeline("a".repeat(129))),
                bad("pipeline", "pipeline starting with a dash", b -> b.setPipeline("-nightly")),
                bad("inputs", "inputs over 64 KiB", b -> b.setInputs(bigStruct(64 * 1024))),
                bad("inputs", "inputs with a NUL character", b -> b.setInputs(Struct.newBuilder()
                        .putFields("k", Value.newBuilder().setStringValue("a\0b").build()))),
                bad("labels", "65 labels", b -> {
                    IntStream.range(0, 65).forEach(i -> b.putLabels("k" + i, "v"));
                    return b;
                }),
                bad("labels", "label key with a space", b -> b.putLabels("bad key", "v")),
                bad("labels", "label value over 256 characters", b -> b.putLabels("k", "v".repeat(257))),
                bad("mode", "unknown mode", b -> b.setModeValue(99)),
                bad("priority", "priority above 1000", b -> b.setPriority(1001)),
                bad("priority", "priority below -1000", b -> b.setPriority(-1001)),
                bad("request_id", "request id over 128 characters", b -> b.setRequestId("r".repeat(129))),
                bad("dedup_key", "dedup key over 256 characters", b -> b.setDedupKey("d".repeat(257))),
                bad("dedup_key", "dedup key with a NUL", b -> b.setDedupKey("a\0")),
                bad("scheduled_for", "invalid timestamp", b -> b.setScheduledFor(Timestamp.newBuilder().setNanos(-1))),
                bad("parent_id", "malformed parent id", b -> b.setParentId("not-a-uuid")),
                bad("max_runtime", "zero max runtime", b -> b.setMaxRuntime(Duration.getDefaultInstance())),
                bad("max_runtime", "negative max runtime", b -> b.setMaxRuntime(Duration.newBuilder().setSeconds(-5))),
                bad("max_runtime", "max runtime over 30 days", b -> b.setMaxRuntime(Duration.newBuilder().setSeconds(31L * 86400))),
                bad("max_attempts", "negative max attempts", b -> b.setMaxAttempts(-1)),
                bad("max_attempts", "max attempts over 100", b -> b.setMaxAttempts(101)),
                bad("trigger.kind", "unknown trigger kind", b -> b.setTrigger(Trigger.newBuilder().setKindValue(42))),
                // Issue 17, item 17: only Rerun makes a rerun (with rerun_of set); a Run may not claim to be one.
                bad("trigger.kind", "the server-only kind RERUN",
                        b -> b.setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_RERUN))),
                bad("trigger.actor", "trigger actor over 256 characters",
                        b -> b.setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_EVENT).setActor("a".repeat(257)))),
                bad("trigger.variables", "trigger variables over 64 KiB",
                        b -> b.setTrigger(Trigger.newBuilder().setVariables(bigStruct(64 * 1024)))));
    }

    private static Arguments bad(String field, String description, UnaryOperator<RunRequest.Builder> change) {
        return Arguments.of(field, description, change);
    }

    @ParameterizedTest(name = "{1} -> {0}")
    @MethodSource("badRequests")
    void badFieldIsNamedAndNothingIsStored(String field, String description, UnaryOperator<RunRequest.Builder> change)
            throws Exception {
        long before = countExecutions();
        RunRequest request = change.apply(valid()).build();
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> server.executions().run(request));
        assertEquals(List.of(field), Errors.violatedFields(error), description);
        assertTrue(error.getStatus().getDescription().contains(field), error.getStatus().getDescription());
        assertEquals("INVALID_FIELD", Errors.errorInfo(error).orElseThrow().getReason());
        assertEquals(before, countExecutions(), "a refused Run stores nothing");
    }

    @Test
    void everyBadFieldIsReportedAtOnce() {
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.executions().run(
                RunRequest.newBuilder().setPipeline("BAD").setPriority(5000).setMaxAttempts(-3).build()));
        assertEquals(List.of("pipeline", "priority", "max_attempts"), Errors.violatedFields(error));
    }

    @Test
    void parentThatDoesNotExistIsNamed() {
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.executions().run(
                valid().setParentId("0190c3e4-5b6f-7a00-8b1c-2d3e4f5a6b7c").build()));
        assertEquals(List.of("parent_id"), Errors.violatedFields(error));
    }

    @Test
    void limitsAreInclusive() {
        Struct inputs = bigStruct(64 * 1024 - "{\"blob\":\"\"}".length());
        RunRequest.Builder atLimits = valid().setPipeline("a".repeat(128)).setInputs(inputs).setPriority(1000)
                .setMaxAttempts(100).setMode(ExecutionMode.EXECUTION_MODE_EXPERIMENT)
                .setRequestId("r".repeat(128)).setDedupKey("d".repeat(256));
        IntStream.range(0, 64).forEach(i -> atLimits.putLabels("k" + i, "v".repeat(256)));
        assertEquals(1, server.executions().run(atLimits.build()).getExecution().getRevision());
    }

    private static long countExecutions() throws Exception {
        try (Connection c = TestPostgres.jdbc(server.database());
             ResultSet r = c.createStatement().executeQuery("SELECT count(*) FROM executions")) {
            r.next();
            return r.getLong(1);
        }
    }
}
