package dev.runplane.server.grpc;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.Lease;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RerunRequest;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.Step;
import dev.runplane.v1.StepStatus;
import dev.runplane.v1.Trigger;
import dev.runplane.v1.TriggerKind;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Structs come back identical from every path that stores one: Run's inputs and trigger variables,
 * RunBatch, Rerun's inputs, a step's metrics and Complete's outputs (issue 17, items 2 and 4). Random
 * Structs (nesting, every kind of value, edge numbers, awkward strings) are the property test; NaN
 * and Infinity have no JSON form and are refused, naming the field and the value's path.
 */
class StructRoundTripTest {

    /** Numbers that a decimal codec gets wrong: the extremes, subnormals, 2^53 and its neighbours. */
    static final double[] EDGE_NUMBERS = {0.0, 1.0, -1.0, 0.1, 1.0 / 3, 0.30000000000000004, 4.35, 1e308, -1e308,
            Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL,
            2.2250738585072009E-308, 0x1p53, 0x1p53 + 2, 0x1p53 - 1, -0x1p53, -(0x1p53 + 2), 0x1p63, 0x1p64,
            1e21, 1e22, 1e23, 1e-7, 1e-300, 123456789.12345679, 9007199254740993.0, 1.7976931348623157E307};
    static final String[] STRING_PARTS = {"a", "Z", "0", " ", "\"", "\\", "\\u0000", "\\\\u0000", "\n", "\t",
            "\u0001", "\u001f", "\u007f", "é", "€", "\u2028", "\uD83D\uDE00", "\uFFFD", "/", "<", "'", "null", "1e5",
            "{}", "[", "-0"};
    static final long SEED = 17_2026L;

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    @Test
    void randomStructsRoundTripThroughRunAndRerun() {
        Random random = new Random(SEED);
        for (int i = 0; i < 150; i++) {
            Struct inputs = randomStruct(random, 0);
            Struct variables = randomStruct(random, 0);
            String what = "struct " + i + " of seed " + SEED;
            Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("structs").setInputs(inputs)
                    .setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_EVENT).setVariables(variables))
                    .build()).getExecution();
            assertEquals(inputs, run.getInputs(), what);
            Execution read = get(run.getId());
            assertEquals(inputs, read.getInputs(), what);
            assertEquals(variables, read.getTrigger().getVariables(), what);
            if (i % 10 == 0) {
                Struct other = randomStruct(random, 0);
                Execution rerun = server.executions().rerun(RerunRequest.newBuilder().setId(run.getId())
                        .setInputs(other).build()).getExecution();
                assertEquals(other, get(rerun.getId()).getInputs(), what + ", rerun");
                Execution batched = server.executions().runBatch(RunBatchRequest.newBuilder().addRuns(RunRequest
                        .newBuilder().setPipeline("structs").setInputs(other)).build()).getResults(0).getExecution();
                assertEquals(other, get(batched.getId()).getInputs(), what + ", batch");
            }
        }
    }

    @Test
    void randomStructsRoundTripThroughWorkers() {
        Random random = new Random(SEED + 1);
        for (int i = 0; i < 20; i++) {
            String what = "execution " + i + " of seed " + (SEED + 1);
            Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("struct-workers").build())
                    .getExecution();
            Lease lease = claim("struct-workers");
            Struct heartbeatMetrics = randomStruct(random, 0);
            Struct completeMetrics = randomStruct(random, 0);
            Struct outputs = randomStruct(random, 0);
            server.workers().heartbeat(HeartbeatRequest.newBuilder().setLease(lease).addSteps(Step.newBuilder()
                    .setName("load").setStatus(StepStatus.STEP_STATUS_SUCCEEDED).setMetrics(heartbeatMetrics)).build());
            server.workers().complete(CompleteRequest.newBuilder().setLease(lease).setOutputs(outputs)
                    .addSteps(Step.newBuilder().setName("save").setStatus(StepStatus.STEP_STATUS_SUCCEEDED)
                            .setMetrics(completeMetrics)).build());
            Execution done = get(run.getId());
            assertEquals(outputs, done.getOutputs(), what);
            Function<String, Struct> metrics = name -> done.getStepsList().stream()
                    .filter(s -> s.getName().equals(name)).findFirst().orElseThrow().getMetrics();
            assertEquals(heartbeatMetrics, metrics.apply("load"), what);
            assertEquals(completeMetrics, metrics.apply("save"), what);
        }
    }

    /** Each edge number on its own, so that a failure names it. */
    @Test
    void everyEdgeNumberRoundTrips() {
        for (double number : EDGE_NUMBERS) {
            for (double n : new double[] {number, -number}) {
                if (Double.doubleToRawLongBits(n) == Double.doubleToRawLongBits(-0.0)) {
                    continue;
                }
                Struct inputs = Struct.newBuilder().putFields("n", number(n))
                        .putFields("in", Value.newBuilder().setListValue(ListValue.newBuilder().addValues(number(n))).build())
                        .build();
                Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("numbers")
                        .setInputs(inputs).build()).getExecution();
                Value back = get(run.getId()).getInputs().getFieldsOrThrow("n");
                assertEquals(Value.KindCase.NUMBER_VALUE, back.getKindCase(), () -> n + " came back as " + back);
                assertEquals(n, back.getNumberValue(), () -> n + " came back as " + back.getNumberValue());
                assertEquals(inputs, get(run.getId()).getInputs(), () -> String.valueOf(n));
            }
        }
    }

    /** jsonb numbers are PostgreSQL numerics, which have no negative zero: -0.0 is the number 0. */
    @Test
    void negativeZeroComesBackAsZero() {
        Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("numbers")
                .setInputs(Struct.newBuilder().putFields("z", number(-0.0))).build()).getExecution();
        Value back = get(run.getId()).getInputs().getFieldsOrThrow("z");
        assertEquals(Value.KindCase.NUMBER_VALUE, back.getKindCase());
        assertEquals(0.0, back.getNumberValue());
    }

    @Test
    void numbersWithoutAJsonFormAreRefusedOnEveryPath() throws Exception {
        Execution parent = server.executions().run(RunRequest.newBuilder().setPipeline("refused").build())
                .getExecution();
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            Struct deep = Struct.newBuilder().putFields("ok", number(1)).putFields("a", Value.newBuilder()
                    .setStructValue(Struct.newBuilder().putFields("b", Value.newBuilder().setListValue(ListValue
                            .newBuilder().addValues(number(2)).addValues(number(bad))).build())).build()).build();
            long before = countExecutions();
            assertRefused("inputs", "a.b[1]", () -> server.executions().run(RunRequest.newBuilder()
                    .setPipeline("refused").setInputs(deep).build()));
            assertRefused("trigger.variables", "a.b[1]", () -> server.executions().run(RunRequest.newBuilder()
                    .setPipeline("refused").setTrigger(Trigger.newBuilder().setVariables(deep)).build()));
            assertRefused("inputs", "a.b[1]", () -> server.executions().rerun(RerunRequest.newBuilder()
                    .setId(parent.getId()).setInputs(deep).build()));
            assertEquals(before, countExecutions(), "a refused Run stores nothing");
        }
        server.executions().run(RunRequest.newBuilder().setPipeline("refused-work").build());
        Lease lease = claim("refused-work");
        Struct nan = Struct.newBuilder().putFields("x", number(Double.NaN)).build();
        assertRefused("steps[0].metrics", "x", () -> server.workers().heartbeat(HeartbeatRequest.newBuilder()
                .setLease(lease).addSteps(Step.newBuilder().setName("s").setStatus(StepStatus.STEP_STATUS_RUNNING)
                        .setMetrics(nan)).build()));
        assertRefused("outputs", "x", () -> server.workers().complete(CompleteRequest.newBuilder().setLease(lease)
                .setOutputs(nan).build()));
        Execution unchanged = get(lease.getExecutionId());
        assertEquals(dev.runplane.v1.ExecutionStatus.EXECUTION_STATUS_RUNNING, unchanged.getStatus());
        assertEquals(0, unchanged.getStepsCount(), "a refused Heartbeat stores no step");
    }

    /** JSON has no form for a Value without a kind: it is stored as null, as JsonFormat prints it. */
    @Test
    void valueWithoutAKindComesBackAsNull() {
        Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("kinds")
                .setInputs(Struct.newBuilder().putFields("k", Value.getDefaultInstance())).build()).getExecution();
        assertEquals(Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build(),
                get(run.getId()).getInputs().getFieldsOrThrow("k"));
    }

    /** Item 4: a backslash followed by "u0000" is text like any other; only a real NUL is refused. */
    @Test
    void literalBackslashU0000IsNotANul() {
        Struct inputs = Struct.newBuilder().putFields("path", string("C:\\u0000\\dir"))
                .putFields("\\u0000", string("\\\\u0000")).putFields("escaped", string("\\\\\\u0000")).build();
        Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("nul").setInputs(inputs).build())
                .getExecution();
        assertEquals(inputs, get(run.getId()).getInputs());
        assertRefused("inputs", "k", () -> server.executions().run(RunRequest.newBuilder().setPipeline("nul")
                .setInputs(Struct.newBuilder().putFields("k", string("\\u0000 and \0"))).build()));
        StatusRuntimeException inKey = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.executions()
                .run(RunRequest.newBuilder().setPipeline("nul").setInputs(Struct.newBuilder()
                        .putFields("a\0b", string("v"))).build()));
        assertEquals(List.of("inputs"), Errors.violatedFields(inKey));
    }

    private static void assertRefused(String field, String path, org.junit.jupiter.api.function.Executable call) {
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT, call);
        assertEquals(List.of(field), Errors.violatedFields(error));
        String description = Errors.details(error, com.google.rpc.BadRequest.class).orElseThrow()
                .getFieldViolations(0).getDescription();
        assertTrue(description.contains(path), () -> "the description names the value: " + description);
    }

    private static Lease claim(String pipeline) {
        return server.workers().poll(PollRequest.newBuilder().setWorkerId("w-structs").addPipelines(pipeline)
                .setMaxWait(Durations.fromSeconds(10)).build()).getAssignments(0).getLease();
    }

    private static Execution get(String id) {
        return server.executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution();
    }

    private static long countExecutions() throws Exception {
        try (Connection c = TestPostgres.jdbc(server.database());
             ResultSet r = c.createStatement().executeQuery("SELECT count(*) FROM executions")) {
            r.next();
            return r.getLong(1);
        }
    }

    static Struct randomStruct(Random random, int depth) {
        Struct.Builder struct = Struct.newBuilder();
        int fields = random.nextInt(depth == 0 ? 6 : 4);
        for (int i = 0; i < fields; i++) {
            struct.putFields(randomString(random), randomValue(random, depth + 1));
        }
        return struct.build();
    }

    static Value randomValue(Random random, int depth) {
        return switch (random.nextInt(depth >= 4 ? 4 : 6)) {
            case 0 -> Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
            case 1 -> Value.newBuilder().setBoolValue(random.nextBoolean()).build();
            case 2 -> string(randomString(random));
            case 3 -> number(randomNumber(random));
            case 4 -> Value.newBuilder().setStructValue(randomStruct(random, depth)).build();
            default -> {
                ListValue.Builder list = ListValue.newBuilder();
                int values = random.nextInt(4);
                for (int i = 0; i < values; i++) {
                    list.addValues(randomValue(random, depth + 1));
                }
                yield Value.newBuilder().setListValue(list).build();
            }
        };
    }

    /** An edge number, any finite double (random bits), or a whole number; never -0.0 (see above). */
    static double randomNumber(Random random) {
        double n = switch (random.nextInt(4)) {
            case 0, 1 -> EDGE_NUMBERS[random.nextInt(EDGE_NUMBERS.length)] * (random.nextBoolean() ? 1 : -1);
            case 2 -> Double.longBitsToDouble(random.nextLong());
            default -> (double) (random.nextLong() >> random.nextInt(64));
        };
        return Double.isFinite(n) && Double.doubleToRawLongBits(n) != Double.doubleToRawLongBits(-0.0)
                ? n : randomNumber(random);
    }

    static String randomString(Random random) {
        StringBuilder s = new StringBuilder();
        int parts = random.nextInt(6);
        for (int i = 0; i < parts; i++) {
            s.append(STRING_PARTS[random.nextInt(STRING_PARTS.length)]);
        }
        return s.toString();
    }

    private static Value number(double n) {
        return Value.newBuilder().setNumberValue(n).build();
    }

    private static Value string(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }
}
