package dev.runplane.server.watch;

import com.google.protobuf.util.Durations;
import dev.runplane.server.core.Action;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heartbeats on both watch streams: at the interval on a quiet stream, not while messages flow,
 * and with a resume point that replays nothing, on the other replica too.
 */
class HeartbeatTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final com.google.protobuf.Duration ONE_SECOND = Durations.fromSeconds(1);

    private static TestServer a;
    private static TestServer b;

    @BeforeAll
    static void start() {
        a = TestServer.start();
        b = TestServer.start(a.database());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        b.close();
        a.close();
    }

    /** A stream's messages, each with when it arrived (System.nanoTime); waits through its recorder. */
    private static final class Timed<T> implements StreamObserver<T> {
        final StreamRecorder<T> recorder = new StreamRecorder<>();
        private final List<Map.Entry<Long, T>> arrivals = new ArrayList<>();

        @Override
        public void onNext(T value) {
            synchronized (arrivals) {
                arrivals.add(Map.entry(System.nanoTime(), value));
            }
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

        List<Map.Entry<Long, T>> arrivals() {
            synchronized (arrivals) {
                return List.copyOf(arrivals);
            }
        }

        List<T> awaitValues(java.util.function.Predicate<List<T>> condition, Duration timeout) throws Exception {
            return recorder.awaitValues(condition, timeout);
        }
    }

    private static Timed<WatchExecutionsResponse> watchExecutions(TestServer server, WatchExecutionsRequest request,
                                                                 Context.CancellableContext context) {
        Timed<WatchExecutionsResponse> recorder = new Timed<>();
        context.run(() -> ExecutionServiceGrpc.newStub(server.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                .watchExecutions(request, recorder));
        return recorder;
    }

    private static WatchExecutionsRequest pipeline(String name) {
        return WatchExecutionsRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().addPipelines(name))
                .setHeartbeatInterval(ONE_SECOND).build();
    }

    private static long maxSequence() throws Exception {
        try (Connection c = TestPostgres.jdbc(a.database()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT max(sequence) FROM execution_events")) {
            assertTrue(rs.next());
            return rs.getLong(1);
        }
    }

    private static long heartbeats(List<WatchExecutionsResponse> values) {
        return values.stream().filter(WatchExecutionsResponse::hasHeartbeat).count();
    }

    @Test
    void aQuietStreamGetsHeartbeatsWhoseSequenceMovesWithTheLogAndResumesWithoutReplay() throws Exception {
        Transitioner transitions = new Transitioner(a.app().database().pool());
        Context.CancellableContext context = Context.current().withCancellation();
        try {
            Timed<WatchExecutionsResponse> stream = watchExecutions(a, pipeline("beating"), context);
            a.awaitWatchers(1);
            // Its own events first (sent), then only other pipelines' (considered, left out).
            transitions.createAndCycle("beating", 2, 0, 1).blockLast();
            stream.awaitValues(v -> v.stream().filter(WatchExecutionsResponse::hasEvent).count() == 6, WAIT);
            transitions.createAndCycle("elsewhere", 3, 0, 1).blockLast();
            long lastElsewhere = maxSequence();
            List<WatchExecutionsResponse> got = stream.awaitValues(v -> heartbeats(v) >= 2
                    && v.get(v.size() - 1).hasHeartbeat() && v.get(v.size() - 1).getHeartbeat().getSequence()
                    >= lastElsewhere, WAIT);
            WatchExecutionsResponse beat = got.get(got.size() - 1);
            assertEquals(lastElsewhere, beat.getHeartbeat().getSequence(),
                    "the last event the stream considered, though another pipeline's");
            assertTrue(beat.getHeartbeat().hasTime());
            assertEquals(6, got.stream().filter(WatchExecutionsResponse::hasEvent).count());

            // Resumed on the other replica from the heartbeat: nothing replayed, the next event first.
            Timed<WatchExecutionsResponse> resumed = watchExecutions(b, pipeline("beating").toBuilder()
                    .setAfterSequence(beat.getHeartbeat().getSequence()).build(), context);
            b.awaitWatchers(1);
            UUID next = transitions.create("beating", Map.of()).block().id();
            WatchExecutionsResponse first = resumed.awaitValues(v -> v.stream()
                    .anyMatch(WatchExecutionsResponse::hasEvent), WAIT).stream()
                    .filter(WatchExecutionsResponse::hasEvent).findFirst().orElseThrow();
            assertEquals(next.toString(), first.getEvent().getExecutionId(), "nothing replayed");
            assertEquals(1, first.getEvent().getRevision());
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void noHeartbeatWhileMessagesFlowFasterThanTheInterval() throws Exception {
        Transitioner transitions = new Transitioner(a.app().database().pool());
        Context.CancellableContext context = Context.current().withCancellation();
        try {
            Timed<WatchExecutionsResponse> stream = watchExecutions(a, pipeline("flowing"), context);
            a.awaitWatchers(1);
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
            while (System.nanoTime() < until) {
                transitions.create("flowing", Map.of()).block();
                Eventually.backOff(100); // a writer's rhythm, ten changes a second
            }
            stream.awaitValues(v -> v.stream().filter(WatchExecutionsResponse::hasEvent).count() >= 10, WAIT);
            List<Map.Entry<Long, WatchExecutionsResponse>> arrivals = stream.arrivals();
            List<WatchExecutionsResponse> values = arrivals.stream().map(Map.Entry::getValue).toList();
            // A heartbeat only ever follows a second without messages (what the server sent, as it arrived).
            for (int i = 1; i < arrivals.size(); i++) {
                if (values.get(i).hasHeartbeat()) {
                    long gap = arrivals.get(i).getKey() - arrivals.get(i - 1).getKey();
                    assertTrue(gap >= TimeUnit.MILLISECONDS.toNanos(900),
                            "a heartbeat " + TimeUnit.NANOSECONDS.toMillis(gap) + " ms after a message");
                }
            }
            assertTrue(values.stream().filter(WatchExecutionsResponse::hasEvent).count() >= 10);
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void watchExecutionHeartbeatsCarryTheLastRevisionSentAndResumeWithoutReplay() throws Exception {
        Transitioner transitions = new Transitioner(a.app().database().pool());
        UUID id = transitions.create("single", Map.of()).block().id();
        Context.CancellableContext context = Context.current().withCancellation();
        try {
            StreamRecorder<WatchExecutionResponse> stream = new StreamRecorder<>();
            context.run(() -> ExecutionServiceGrpc.newStub(b.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .watchExecution(WatchExecutionRequest.newBuilder().setId(id.toString())
                            .setHeartbeatInterval(ONE_SECOND).build(), stream));
            List<WatchExecutionResponse> got = stream.awaitValues(
                    v -> v.stream().filter(WatchExecutionResponse::hasHeartbeat).count() >= 2, WAIT);
            assertEquals(1, got.get(0).getEvent().getRevision(), "the current state first");
            WatchExecutionResponse beat = got.get(got.size() - 1);
            assertEquals(1, beat.getHeartbeat().getRevision());
            assertTrue(beat.getHeartbeat().hasTime());

            StreamRecorder<WatchExecutionResponse> resumed = new StreamRecorder<>();
            context.run(() -> ExecutionServiceGrpc.newStub(a.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .watchExecution(WatchExecutionRequest.newBuilder().setId(id.toString())
                            .setAfterRevision(beat.getHeartbeat().getRevision()).build(), resumed));
            a.awaitWatchers(1);
            transitions.apply(id, Action.CLAIM).block();
            WatchExecutionResponse first = resumed.awaitCount(1, WAIT).get(0);
            assertEquals(2, first.getEvent().getRevision(), "nothing replayed: the claim first");
        } finally {
            context.cancel(null);
        }
    }

    @Test
    void heartbeatIntervalOutsideOneSecondToOneHourIsInvalidArgument() {
        for (com.google.protobuf.Duration bad : List.of(Durations.fromMillis(999), Durations.fromSeconds(3601),
                Durations.fromSeconds(-5))) {
            var executions = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> a.executions().watchExecutions(
                    WatchExecutionsRequest.newBuilder().setHeartbeatInterval(bad).build()).hasNext());
            assertEquals(List.of("heartbeat_interval"), Errors.violatedFields(executions));
            var execution = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> a.executions().watchExecution(
                    WatchExecutionRequest.newBuilder().setId(UUID.randomUUID().toString())
                            .setHeartbeatInterval(bad).build()).hasNext());
            assertEquals(List.of("heartbeat_interval"), Errors.violatedFields(execution));
        }
    }
}
