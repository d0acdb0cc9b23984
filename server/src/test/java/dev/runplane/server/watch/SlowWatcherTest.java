package dev.runplane.server.watch;

import com.google.rpc.ErrorInfo;
import dev.runplane.server.Application;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over a real Netty port: a client that never reads fills its HTTP/2 window, then its bounded
 * buffer on the server, and is ended with RESOURCE_EXHAUSTED and its resume point; a watcher
 * beside it receives everything.
 */
class SlowWatcherTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    // 600 executions × 5 events: far more than the stalled client's window plus its server buffer.
    private static final int EXECUTIONS = 600;
    private static final int EVENTS = EXECUTIONS * 5;

    /** Never asks for a message until told to. */
    private static final class StalledClient extends StreamRecorderAdapter
            implements ClientResponseObserver<WatchExecutionsRequest, WatchExecutionsResponse> {
        ClientCallStreamObserver<WatchExecutionsRequest> call;

        @Override
        public void beforeStart(ClientCallStreamObserver<WatchExecutionsRequest> requestStream) {
            this.call = requestStream;
            requestStream.disableAutoRequestWithInitial(0);
        }
    }

    /** A StreamRecorder usable as a superclass. */
    private static class StreamRecorderAdapter implements io.grpc.stub.StreamObserver<WatchExecutionsResponse> {
        final StreamRecorder<WatchExecutionsResponse> recorder = new StreamRecorder<>();

        @Override
        public void onNext(WatchExecutionsResponse value) {
            recorder.onNext(value);
        }

        @Override
        public void onError(Throwable t) {
            recorder.onError(t);
        }

        @Override
        public void onCompleted() {
            recorder.onCompleted();
        }
    }

    @Test
    void aStalledClientIsEndedWithItsResumePointAndOthersGetEverything() throws Exception {
        var database = TestPostgres.newDatabase();
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(database)).withPort(0);
        try (Application app = Application.start(config)) {
            // A 64 KiB window (instead of 1 MiB, auto-tuned) so that a few thousand small events overflow it.
            ManagedChannel stalledChannel = NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext()
                    .flowControlWindow(64 * 1024).build();
            ManagedChannel healthyChannel = NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
            try {
                StalledClient stalled = new StalledClient();
                ExecutionServiceGrpc.newStub(stalledChannel).watchExecutions(WatchExecutionsRequest.getDefaultInstance(),
                        stalled);
                StreamRecorder<WatchExecutionsResponse> healthy = new StreamRecorder<>();
                ExecutionServiceGrpc.newStub(healthyChannel).watchExecutions(WatchExecutionsRequest.getDefaultInstance(),
                        healthy);
                awaitWatchers(app, 2);

                new Transitioner(app.database().pool()).createAndCycle("flood", EXECUTIONS, 1, 8).blockLast();

                // The server gives up on the stalled watcher by itself: its buffer is released.
                awaitWatchers(app, 1);
                assertEquals(EVENTS, healthy.awaitCount(EVENTS, WAIT).size());
                assertTrue(stalled.recorder.values().isEmpty(), "the stalled client has read nothing yet");

                // When it finally reads, it finds what was in flight, then the error and where to resume.
                stalled.call.request(Integer.MAX_VALUE);
                Throwable end = stalled.recorder.awaitEnd(WAIT);
                StatusRuntimeException error = assertInstanceOf(StatusRuntimeException.class, end);
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, error.getStatus().getCode());
                List<WatchExecutionsResponse> received = stalled.recorder.values();
                assertTrue(received.size() < EVENTS, "ended before the end: " + received.size());
                long last = received.isEmpty() ? 0 : received.get(received.size() - 1).getEvent().getSequence();
                ErrorInfo info = Errors.errorInfo(error).orElseThrow();
                assertEquals("WATCHER_TOO_SLOW", info.getReason());
                assertEquals(Long.toString(last), info.getMetadataOrThrow("after_sequence"));
                assertTrue(error.getStatus().getDescription().contains("after_sequence=" + last),
                        error.getStatus().getDescription());
            } finally {
                stalledChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                healthyChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitWatchers(Application app, int count) throws InterruptedException {
        Eventually.within(WAIT, () -> app.eventHub().watchers() == count);
        assertEquals(count, app.eventHub().watchers());
    }
}
