package dev.runplane.server.security;

import com.google.protobuf.util.Durations;
import com.google.rpc.ErrorInfo;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Keys;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.PollResponse;
import dev.runplane.v1.RevokeKeyRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Calls already open when their key stops being valid (revoked through another replica, or
 * expired) end with UNAUTHENTICATED within the bound that new calls have (docs/security.md: the
 * key cache's 2 s, plus the sweep; the promise is 5 s), on every replica: watch streams and long
 * polls alike.
 */
class RevocationEndsCallsTest {

    /** The promise for new calls, which open calls now share. */
    private static final Duration BOUND = Duration.ofSeconds(5);

    private static TestServer server;
    private static TestServer replica;
    private static String admin;
    private static String executionId;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        replica = TestServer.start(server.database());
        executionId = server.executions().run(RunRequest.newBuilder().setPipeline("watched").build())
                .getExecution().getId();
        admin = create(null, List.of(KeyScope.KEY_SCOPE_ADMIN), null);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        replica.close();
        server.close();
    }

    private static String create(String adminToken, List<KeyScope> scopes, com.google.protobuf.Duration expiresIn) {
        CreateKeyRequest.Builder request = CreateKeyRequest.newBuilder().addAllScopes(scopes).setDescription("streams");
        if (expiresIn != null) {
            request.setExpiresIn(expiresIn);
        }
        return Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), adminToken)
                .withDeadlineAfter(10, TimeUnit.SECONDS).createKey(request.build()).getToken();
    }

    private static StreamRecorder<WatchExecutionResponse> watchOne(TestServer on, String token) {
        StreamRecorder<WatchExecutionResponse> recorder = new StreamRecorder<>();
        Keys.withKey(ExecutionServiceGrpc.newStub(on.channel()), token).withDeadlineAfter(60, TimeUnit.SECONDS)
                .watchExecution(WatchExecutionRequest.newBuilder().setId(executionId).build(), recorder);
        return recorder;
    }

    private static StreamRecorder<WatchExecutionsResponse> watchAll(TestServer on, String token) {
        StreamRecorder<WatchExecutionsResponse> recorder = new StreamRecorder<>();
        Keys.withKey(ExecutionServiceGrpc.newStub(on.channel()), token).withDeadlineAfter(60, TimeUnit.SECONDS)
                .watchExecutions(WatchExecutionsRequest.getDefaultInstance(), recorder);
        return recorder;
    }

    private static StreamRecorder<PollResponse> longPoll(TestServer on, String token) {
        StreamRecorder<PollResponse> recorder = new StreamRecorder<>();
        Keys.withKey(WorkerServiceGrpc.newStub(on.channel()), token).withDeadlineAfter(60, TimeUnit.SECONDS)
                .poll(PollRequest.newBuilder().setWorkerId("w").addPipelines("nothing-queued")
                        .setMaxWait(Durations.fromSeconds(50)).build(), recorder);
        return recorder;
    }

    /** The call ended with UNAUTHENTICATED and this reason, within the bound from {@code since}. */
    private static void assertEndedUnauthenticated(StreamRecorder<?> call, String reason, long since) throws Exception {
        long left = BOUND.toNanos() - (System.nanoTime() - since);
        Throwable end = call.awaitEnd(Duration.ofNanos(Math.max(left, 0)).plusMillis(1));
        StatusRuntimeException error = assertInstanceOf(StatusRuntimeException.class, end, "ended with an error");
        assertEquals(Status.Code.UNAUTHENTICATED, error.getStatus().getCode(), () -> "status: " + error.getStatus());
        assertEquals(reason, Errors.errorInfo(error).map(ErrorInfo::getReason).orElse(null));
        assertTrue(System.nanoTime() - since <= BOUND.toNanos(), "ended within " + BOUND);
    }

    @Test
    void revokingAKeyThroughOneReplicaEndsItsOpenCallsOnBoth() throws Exception {
        String reader = create(admin, List.of(KeyScope.KEY_SCOPE_READ), null);
        String worker = create(admin, List.of(KeyScope.KEY_SCOPE_WORK), null);
        List<StreamRecorder<WatchExecutionResponse>> one = List.of(watchOne(server, reader), watchOne(replica, reader));
        List<StreamRecorder<WatchExecutionsResponse>> all = List.of(watchAll(server, reader), watchAll(replica, reader));
        List<StreamRecorder<PollResponse>> polls = List.of(longPoll(server, worker), longPoll(replica, worker));
        for (StreamRecorder<WatchExecutionResponse> stream : one) {
            stream.awaitCount(1, Duration.ofSeconds(30)); // delivering: the current state came
        }
        server.awaitWatchers(2);
        replica.awaitWatchers(2);
        assertTrue(polls.stream().noneMatch(StreamRecorder::ended), "the polls wait");
        for (String token : List.of(reader, worker)) {
            Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), admin).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .revokeKey(RevokeKeyRequest.newBuilder().setId(AuthTest.idOf(token)).build());
        }
        long revoked = System.nanoTime();
        for (StreamRecorder<?> call : List.of(one.get(0), one.get(1), all.get(0), all.get(1), polls.get(0), polls.get(1))) {
            assertEndedUnauthenticated(call, "API_KEY_REVOKED", revoked);
        }
        server.awaitWatchers(0); // the ended streams let go of the event hub
        replica.awaitWatchers(0);
    }

    @Test
    void aKeyThatExpiresEndsItsOpenStreams() throws Exception {
        String shortLived = create(admin, List.of(KeyScope.KEY_SCOPE_READ), Durations.fromSeconds(3));
        long created = System.nanoTime(); // it expires 3 s after the server created it, so before created + 3 s
        long expiresIn = TimeUnit.SECONDS.toNanos(3);
        StreamRecorder<WatchExecutionResponse> stream = watchOne(replica, shortLived);
        stream.awaitCount(1, Duration.ofSeconds(30));
        assertFalse(stream.ended());
        Throwable end = stream.awaitEnd(Duration.ofNanos(expiresIn).plus(BOUND).plusSeconds(1));
        StatusRuntimeException error = assertInstanceOf(StatusRuntimeException.class, end);
        assertEquals(Status.Code.UNAUTHENTICATED, error.getStatus().getCode());
        assertEquals("API_KEY_EXPIRED", Errors.errorInfo(error).map(ErrorInfo::getReason).orElse(null));
        assertTrue(System.nanoTime() - created <= expiresIn + BOUND.toNanos(), "ended within the bound of its expiry");
    }
}
