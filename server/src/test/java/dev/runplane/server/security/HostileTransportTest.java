package dev.runplane.server.security;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Keys;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.RunRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile client on a real Netty port: oversized message and metadata, 1,000 streams on one
 * connection, a ping flood. After each, the server is healthy and another client's calls succeed.
 */
class HostileTransportTest {

    private static Application app;
    private static ManagedChannel bystander;

    @BeforeAll
    static void start() {
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0);
        app = Application.start(config, OperationsConfig.defaults());
        bystander = channel();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        bystander.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        app.close();
    }

    private static ManagedChannel channel() {
        // The client itself must be able to send what the server refuses.
        return NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
    }

    /** The server still answers health and another client's Run. */
    @AfterEach
    void serverStaysHealthyAndOtherClientsKeepWorking() {
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(bystander)
                .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus());
        assertEquals("steady", ExecutionServiceGrpc.newBlockingStub(bystander).withDeadlineAfter(10, TimeUnit.SECONDS)
                .run(RunRequest.newBuilder().setPipeline("steady").build()).getExecution().getPipeline());
    }

    @Test
    void fiveMebibyteMessageIsResourceExhausted() throws InterruptedException {
        ManagedChannel hostile = channel();
        try {
            String big = "x".repeat(5 * 1024 * 1024);
            RunRequest request = RunRequest.newBuilder().setPipeline("big")
                    .setInputs(Struct.newBuilder().putFields("blob", Value.newBuilder().setStringValue(big).build()))
                    .build();
            Errors.expect(Status.Code.RESOURCE_EXHAUSTED, () -> ExecutionServiceGrpc.newBlockingStub(hostile)
                    .withDeadlineAfter(30, TimeUnit.SECONDS).run(request));
        } finally {
            hostile.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void oversizedMetadataIsRefused() throws InterruptedException {
        ManagedChannel hostile = channel();
        try {
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("x-padding", Metadata.ASCII_STRING_MARSHALLER), "y".repeat(64 * 1024));
            StatusRuntimeException error = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> HealthGrpc.newBlockingStub(hostile)
                            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                            .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
            // Netty refuses the header block before gRPC sees the call: the code depends on where it stops.
            assertNotEquals(Status.Code.OK, error.getStatus().getCode());
            assertNotEquals(Status.Code.DEADLINE_EXCEEDED, error.getStatus().getCode(), "refused, not hung");
        } finally {
            hostile.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void thousandStreamsOnOneConnection() throws InterruptedException {
        ManagedChannel hostile = channel();
        int limit = OperationsConfig.TransportLimits.DEFAULT.maxConcurrentCallsPerConnection();
        AtomicInteger answered = new AtomicInteger();
        CountDownLatch reachedLimit = new CountDownLatch(limit);
        List<Context.CancellableContext> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                Context.CancellableContext context = Context.current().withCancellation();
                streams.add(context);
                context.run(() -> HealthGrpc.newStub(hostile).watch(HealthCheckRequest.getDefaultInstance(),
                        new StreamObserver<>() {
                            @Override
                            public void onNext(HealthCheckResponse value) {
                                answered.incrementAndGet();
                                reachedLimit.countDown();
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                            }
                        }));
            }
            assertTrue(reachedLimit.await(60, TimeUnit.SECONDS), "answered streams: " + answered.get());
            // The rest wait for a free slot on that connection (HTTP/2 MAX_CONCURRENT_STREAMS) instead of
            // costing the server anything; meanwhile the bystander is served (checked after the test).
            serverStaysHealthyAndOtherClientsKeepWorking();
            assertTrue(answered.get() <= limit, "at most " + limit + " concurrent calls on one connection, saw "
                    + answered.get());
        } finally {
            streams.forEach(c -> c.cancel(null));
            hostile.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void pingFloodGetsGoAwayTooManyPings() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(15_000);
            // One write: the server may answer GOAWAY and close before a later write, which would then
            // fail with a broken pipe instead of the test reading the GOAWAY.
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            flood.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            flood.write(frame(4, 0, new byte[0])); // SETTINGS
            for (int i = 0; i < 50; i++) {
                flood.write(frame(6, 0, new byte[8])); // PING, no call open
            }
            OutputStream out = socket.getOutputStream();
            out.write(flood.toByteArray());
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int goAwayCode = -1;
            String debug = "";
            try {
                while (goAwayCode < 0) {
                    int length = (in.readUnsignedShort() << 8) | in.readUnsignedByte();
                    int type = in.readUnsignedByte();
                    in.readUnsignedByte(); // flags
                    in.readInt(); // stream id
                    byte[] payload = in.readNBytes(length);
                    if (type == 7) { // GOAWAY: last stream id, error code, debug data
                        goAwayCode = ((payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16)
                                | ((payload[6] & 0xff) << 8) | (payload[7] & 0xff);
                        debug = new String(payload, 8, payload.length - 8, StandardCharsets.US_ASCII);
                    }
                }
            } catch (EOFException closed) {
                // the server may close right after GOAWAY
            }
            assertEquals(0xb, goAwayCode, "GOAWAY ENHANCE_YOUR_CALM; debug: " + debug);
            assertEquals("too_many_pings", debug);
        }
    }

    @Test
    void perKeyStreamLimitIsResourceExhausted() throws Exception {
        var database = TestPostgres.newDatabase();
        try (TestServer server = TestServer.start(database,
                OperationsConfig.defaults().withProtectReflection(true).withMaxStreamsPerKey(3))) {
            String admin = Keys.withKey(dev.runplane.v1.KeyServiceGrpc.newBlockingStub(server.channel()), null)
                    .createKey(dev.runplane.v1.CreateKeyRequest.newBuilder().addScopes(KeyScope.KEY_SCOPE_ADMIN)
                            .addScopes(KeyScope.KEY_SCOPE_READ).build()).getToken();
            String other = Keys.withKey(dev.runplane.v1.KeyServiceGrpc.newBlockingStub(server.channel()), admin)
                    .createKey(dev.runplane.v1.CreateKeyRequest.newBuilder().addScopes(KeyScope.KEY_SCOPE_READ).build())
                    .getToken();
            List<OpenStream> open = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                open.add(OpenStream.reflection(server.channel(), admin));
            }
            for (OpenStream stream : open) {
                stream.awaitFirstAnswer();
            }
            OpenStream refused = OpenStream.reflection(server.channel(), admin);
            StatusRuntimeException error = refused.awaitError();
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, error.getStatus().getCode());
            assertEquals("TOO_MANY_STREAMS", Errors.errorInfo(error).orElseThrow().getReason());
            // Another key is not affected, and closing a stream frees a slot.
            assertTrue(Reflection.listServices(server.channel(), other).contains("runplane.v1.KeyService"));
            open.remove(0).close();
            OpenStream again = OpenStream.awaitAccepted(server.channel(), admin);
            again.close();
            open.forEach(OpenStream::close);
        }
    }

    private static byte[] frame(int type, int flags, byte[] payload) {
        byte[] frame = new byte[9 + payload.length];
        frame[0] = (byte) (payload.length >>> 16);
        frame[1] = (byte) (payload.length >>> 8);
        frame[2] = (byte) payload.length;
        frame[3] = (byte) type;
        frame[4] = (byte) flags;
        System.arraycopy(payload, 0, frame, 9, payload.length);
        return frame;
    }
}
