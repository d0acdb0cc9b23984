package dev.runplane.server.watch;

import dev.runplane.server.core.Action;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestServer;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WatchExecution on one replica: current state, every change once and in order, the end, resuming. */
class WatchExecutionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private static TestServer server;
    private static Transitioner transitions;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        transitions = new Transitioner(server.app().database().pool());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static String run(String pipeline) {
        return server.executions().run(RunRequest.newBuilder().setPipeline(pipeline).build()).getExecution().getId();
    }

    private static StreamRecorder<WatchExecutionResponse> watch(String id, long afterRevision) {
        StreamRecorder<WatchExecutionResponse> recorder = new StreamRecorder<>();
        ExecutionServiceGrpc.newStub(server.channel()).withDeadlineAfter(60, java.util.concurrent.TimeUnit.SECONDS)
                .watchExecution(WatchExecutionRequest.newBuilder().setId(id).setAfterRevision(afterRevision).build(),
                        recorder);
        return recorder;
    }

    private static List<Long> revisions(List<WatchExecutionResponse> responses) {
        return responses.stream().map(r -> r.getEvent().getRevision()).toList();
    }

    private static List<Long> range(long from, long to) {
        List<Long> list = new ArrayList<>();
        for (long r = from; r <= to; r++) {
            list.add(r);
        }
        return list;
    }

    @Test
    void currentStateFirstThenEveryChangeInOrderThenTheEnd() throws Exception {
        String id = run("watched");
        StreamRecorder<WatchExecutionResponse> stream = watch(id, 0);
        ExecutionEvent first = stream.awaitCount(1, WAIT).get(0).getEvent();
        assertEquals(1, first.getRevision());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, first.getExecution().getStatus());
        assertEquals(id, first.getExecution().getId());

        transitions.cycle(UUID.fromString(id), 5).block();

        assertNull(stream.awaitEnd(WAIT), "the stream completes after the terminal event");
        List<WatchExecutionResponse> all = stream.values();
        assertEquals(range(1, 13), revisions(all));
        ExecutionEvent last = all.get(all.size() - 1).getEvent();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, last.getToStatus());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_RUNNING, last.getFromStatus());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, last.getExecution().getStatus());
        assertTrue(last.getSequence() > first.getSequence());
        server.awaitWatchers(0); // the server completes the call, then releases the watcher
    }

    @Test
    void aWatchStartedAfterChangesBeginsWithTheLatestState() throws Exception {
        String id = run("late");
        transitions.apply(UUID.fromString(id), Action.CLAIM).block();
        StreamRecorder<WatchExecutionResponse> stream = watch(id, 0);
        ExecutionEvent first = stream.awaitCount(1, WAIT).get(0).getEvent();
        assertEquals(2, first.getRevision());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_RUNNING, first.getExecution().getStatus());
        transitions.apply(UUID.fromString(id), Action.COMPLETE).block();
        assertNull(stream.awaitEnd(WAIT));
        assertEquals(List.of(2L, 3L), revisions(stream.values()));
    }

    @Test
    void afterRevisionReplaysTheRestOfTheHistory() throws Exception {
        String id = run("resumed");
        transitions.apply(UUID.fromString(id), Action.CLAIM).block();
        transitions.apply(UUID.fromString(id), Action.RETRY).block();
        StreamRecorder<WatchExecutionResponse> stream = watch(id, 1);
        stream.awaitCount(2, WAIT);
        transitions.apply(UUID.fromString(id), Action.CLAIM).block();
        transitions.apply(UUID.fromString(id), Action.COMPLETE).block();
        assertNull(stream.awaitEnd(WAIT));
        assertEquals(range(2, 5), revisions(stream.values()));
    }

    @Test
    void resumingAfterTheTerminalEventEndsAtOnce() throws Exception {
        String id = run("finished");
        transitions.cycle(UUID.fromString(id), 0).block();
        StreamRecorder<WatchExecutionResponse> stream = watch(id, 3);
        assertNull(stream.awaitEnd(WAIT));
        assertEquals(List.of(), stream.values());
    }

    @Test
    void anUnknownExecutionIsNotFoundAndABadIdIsInvalid() {
        Errors.expect(Status.Code.NOT_FOUND, () -> server.executions()
                .watchExecution(WatchExecutionRequest.newBuilder().setId(UUID.randomUUID().toString()).build())
                .hasNext());
        var invalid = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.executions()
                .watchExecution(WatchExecutionRequest.newBuilder().setId("nope").setAfterRevision(-1).build())
                .hasNext());
        assertEquals(List.of("id", "after_revision"), Errors.violatedFields(invalid));
    }

    @Test
    void aCancelledStreamReleasesItsWatcher() throws Exception {
        String id = run("abandoned");
        var context = io.grpc.Context.current().withCancellation();
        StreamRecorder<WatchExecutionResponse> stream = new StreamRecorder<>();
        context.run(() -> ExecutionServiceGrpc.newStub(server.channel())
                .watchExecution(WatchExecutionRequest.newBuilder().setId(id).build(), stream));
        stream.awaitCount(1, WAIT);
        server.awaitWatchers(1);
        context.cancel(null);
        server.awaitWatchers(0);
    }
}
