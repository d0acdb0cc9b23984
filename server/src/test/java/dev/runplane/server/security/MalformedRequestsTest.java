package dev.runplane.server.security;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.ErrorInfo;
import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.Lease;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Request bytes that are not the message the method takes (invalid UTF-8, nesting past protobuf's
 * limit, garbage, truncation), sent raw through a generic call on a real Netty port to both
 * services' unary and streaming methods: each answers INVALID_ARGUMENT with one short message, and
 * a flood of them logs at most one line per interval, never a stack trace.
 */
class MalformedRequestsTest {

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static Application app;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() {
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0);
        app = Application.start(config, OperationsConfig.defaults());
        channel = NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        app.close();
    }

    @AfterEach
    void serverStaysHealthy() {
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus());
    }

    /** A method by name with raw bytes both ways: the client sends whatever it likes. */
    private static MethodDescriptor<byte[], byte[]> raw(String fullName, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder().setFullMethodName(fullName).setType(type)
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    }

    private static final MethodDescriptor<byte[], byte[]> RUN = raw(
            ExecutionServiceGrpc.getRunMethod().getFullMethodName(), MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<byte[], byte[]> GET = raw(
            ExecutionServiceGrpc.getGetExecutionMethod().getFullMethodName(), MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<byte[], byte[]> WATCH = raw(
            ExecutionServiceGrpc.getWatchExecutionsMethod().getFullMethodName(),
            MethodDescriptor.MethodType.SERVER_STREAMING);
    private static final MethodDescriptor<byte[], byte[]> POLL = raw(
            WorkerServiceGrpc.getPollMethod().getFullMethodName(), MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<byte[], byte[]> HEARTBEAT = raw(
            WorkerServiceGrpc.getHeartbeatMethod().getFullMethodName(), MethodDescriptor.MethodType.UNARY);

    private static byte[] unary(MethodDescriptor<byte[], byte[]> method, byte[] request) {
        return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                request);
    }

    private static void stream(MethodDescriptor<byte[], byte[]> method, byte[] request) {
        Iterator<byte[]> answers = ClientCalls.blockingServerStreamingCall(channel, method,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
        answers.hasNext();
    }

    /** The call answers INVALID_ARGUMENT, reason MALFORMED_REQUEST, with one short line of text. */
    private static void expectMalformed(Runnable call) {
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT, call::run);
        String description = error.getStatus().getDescription();
        assertTrue(description != null && !description.isBlank() && description.length() < 300
                && !description.contains("\n"), "one short message: " + description);
        assertEquals("MALFORMED_REQUEST", Errors.errorInfo(error).map(ErrorInfo::getReason).orElse(null),
                () -> "status: " + error.getStatus());
    }

    /** A string field (tag 1, length-delimited) holding bytes that are not UTF-8. */
    private static byte[] invalidUtf8() {
        return new byte[] {0x0A, 0x02, (byte) 0xC3, 0x28};
    }

    private static Value nestedLists(int depth) {
        Value value = Value.newBuilder().setStringValue("bottom").build();
        for (int i = 0; i < depth; i++) {
            value = Value.newBuilder().setListValue(ListValue.newBuilder().addValues(value)).build();
        }
        return value;
    }

    private static byte[] deepRun(int depth) {
        return RunRequest.newBuilder().setPipeline("deep")
                .setInputs(Struct.newBuilder().putFields("a", nestedLists(depth))).build().toByteArray();
    }

    private static byte[] garbage() {
        byte[] bytes = new byte[64];
        Arrays.fill(bytes, (byte) 0xFF);
        return bytes;
    }

    private static byte[] truncated() {
        byte[] whole = RunRequest.newBuilder().setPipeline("truncated").putLabels("team", "red").build().toByteArray();
        return Arrays.copyOf(whole, whole.length - 3);
    }

    @Test
    void invalidUtf8IsInvalidArgumentOnEveryKindOfMethod() {
        expectMalformed(() -> unary(RUN, invalidUtf8()));
        expectMalformed(() -> unary(GET, invalidUtf8()));
        expectMalformed(() -> stream(WATCH, withInvalidUtf8Pipeline()));
        expectMalformed(() -> unary(POLL, invalidUtf8()));
    }

    /** A WatchExecutionsRequest whose filter's pipeline is not UTF-8 (the nested string field). */
    private static byte[] withInvalidUtf8Pipeline() {
        byte[] filter = {0x12, 0x02, (byte) 0xC3, 0x28}; // ExecutionFilter.pipelines (2) = invalid
        byte[] request = new byte[2 + filter.length];
        request[0] = 0x0A; // WatchExecutionsRequest.filter (1)
        request[1] = (byte) filter.length;
        System.arraycopy(filter, 0, request, 2, filter.length);
        return request;
    }

    @Test
    void nestingPastProtobufsLimitIsInvalidArgument() {
        expectMalformed(() -> unary(RUN, deepRun(50)));
        byte[] deepHeartbeat = HeartbeatRequest.newBuilder()
                .setLease(Lease.newBuilder().setExecutionId("0190c3e4-5b6f-7a00-8b1c-2d3e4f5a6b7c"))
                .addSteps(dev.runplane.v1.Step.newBuilder().setName("s")
                        .setMetrics(Struct.newBuilder().putFields("m", nestedLists(60))))
                .build().toByteArray();
        expectMalformed(() -> unary(HEARTBEAT, deepHeartbeat));
    }

    @Test
    void garbageAndTruncatedBytesAreInvalidArgument() {
        expectMalformed(() -> unary(RUN, garbage()));
        expectMalformed(() -> unary(RUN, truncated()));
        expectMalformed(() -> stream(WATCH, garbage()));
        expectMalformed(() -> unary(POLL, truncated()));
        expectMalformed(() -> unary(HEARTBEAT, garbage()));
    }

    /** It parses (protobuf allows 100 levels), but a Struct this deep is refused as the field it is. */
    @Test
    void aStructThatParsesButIsTooDeepIsInvalidArgumentNamingTheField() {
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .run(RunRequest.newBuilder().setPipeline("deep")
                                .setInputs(Struct.newBuilder().putFields("a", nestedLists(40))).build()));
        assertEquals(List.of("inputs"), Errors.violatedFields(error));
        // As deep as allowed: accepted, and read back whole.
        var run = ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .run(RunRequest.newBuilder().setPipeline("deep")
                        .setInputs(Struct.newBuilder().putFields("a", nestedLists(31))).build());
        var read = ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getExecution(GetExecutionRequest.newBuilder().setId(run.getExecution().getId()).build());
        assertEquals(nestedLists(31), read.getExecution().getInputs().getFieldsOrThrow("a"));
    }

    @Test
    void aFloodLogsAtMostOneLinePerIntervalAndNoStackTrace() throws Exception {
        List<LogRecord> grpcRecords = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public synchronized void publish(LogRecord record) {
                grpcRecords.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        // A server of its own: the others' refusals in this class have used its guard's interval.
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0);
        Application flooded = Application.start(config, OperationsConfig.defaults());
        ManagedChannel floodChannel = NettyChannelBuilder.forAddress("127.0.0.1", flooded.port()).usePlaintext().build();
        Logger root = Logger.getLogger("");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream original = System.err;
        root.addHandler(capture);
        long start = System.nanoTime();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            for (int n = 0; n < 60; n++) {
                int i = n;
                byte[] bad = switch (i % 4) {
                    case 0 -> invalidUtf8();
                    case 1 -> deepRun(50);
                    case 2 -> garbage();
                    default -> truncated();
                };
                expectMalformed(() -> ClientCalls.blockingUnaryCall(floodChannel, i % 2 == 0 ? RUN : POLL,
                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), bad));
            }
        } finally {
            System.setErr(original);
            root.removeHandler(capture);
            floodChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            flooded.close();
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        String logged = err.toString(StandardCharsets.UTF_8);
        List<String> lines = logged.lines().filter(l -> !l.isBlank()).toList();
        long allowed = 1 + seconds / 10; // one line per 10 s at most
        assertTrue(lines.size() <= allowed, "at most " + allowed + " log lines for 60 bad requests, got:\n" + logged);
        assertTrue(lines.size() >= 1, "the refusals are reported, once");
        assertFalse(logged.contains("\tat "), "no stack trace:\n" + logged);
        synchronized (capture) {
            assertTrue(grpcRecords.isEmpty(), "grpc-java logged: " + grpcRecords.stream()
                    .map(r -> r.getLevel() + " " + r.getMessage()).toList());
        }
    }
}
