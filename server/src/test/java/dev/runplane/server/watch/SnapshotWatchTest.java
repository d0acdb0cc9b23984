package dev.runplane.server.watch;

import com.google.protobuf.util.Durations;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.SearchResponse;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19's acceptance: a dashboard's list-then-watch in one stream, started in the middle of a load
 * of 16 writers (Run, Cancel, worker claims and Completes, through both replicas), broken and
 * resumed several times on alternating replicas (once right after snapshot_complete), ends holding
 * exactly what Search says, with no revision of any execution twice and none skipped after its
 * snapshot row.
 */
class SnapshotWatchTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String PIPELINE = "snap";

    private TestServer a;
    private TestServer b;

    @BeforeEach
    void start() {
        a = TestServer.start();
        b = TestServer.start(a.database());
    }

    @AfterEach
    void stop() throws InterruptedException {
        b.close();
        a.close();
    }

    private static ExecutionFilter filter() {
        return ExecutionFilter.newBuilder().addPipelines(PIPELINE).putLabels("team", "red").build();
    }

    /**
     * Until stopped, through both replicas: 6 writers Run (a quarter of them elsewhere, half of them
     * another team's), 2 Cancel executions at random, 8 are workers that claim and Complete.
     */
    private static final class Writers {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger runs = new AtomicInteger();
        final List<String> ids = new CopyOnWriteArrayList<>();
        final ExecutorService pool = Executors.newFixedThreadPool(16);
        final List<Future<?>> tasks = new ArrayList<>();
        final long started = System.nanoTime();

        Writers(TestServer a, TestServer b) {
            for (int i = 0; i < 16; i++) {
                TestServer server = i % 2 == 0 ? a : b;
                int kind = i % 8;
                tasks.add(pool.submit(() -> {
                    while (!stop.get()) {
                        write(server, kind);
                    }
                    return null;
                }));
            }
        }

        private void write(TestServer server, int kind) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            try {
                switch (kind) {
                    case 0, 1, 2 -> {
                        String team = random.nextBoolean() ? "red" : "blue";
                        String pipeline = random.nextInt(4) == 0 ? "noise" : PIPELINE;
                        Execution e = server.executions().run(RunRequest.newBuilder().setPipeline(pipeline)
                                .putLabels("team", team).setMaxAttempts(3).build()).getExecution();
                        ids.add(e.getId());
                        runs.incrementAndGet();
                    }
                    case 3 -> {
                        if (ids.isEmpty()) {
                            Eventually.backOff(10); // nothing to cancel yet
                        } else {
                            server.executions().cancel(CancelRequest.newBuilder()
                                    .setId(ids.get(random.nextInt(ids.size()))).setReason("test").build());
                        }
                    }
                    default -> {
                        List<Assignment> claimed = server.workers().poll(PollRequest.newBuilder()
                                .setWorkerId("w" + kind).addPipelines(PIPELINE).setMaxExecutions(3)
                                .setMaxWait(Durations.fromMillis(100)).build()).getAssignmentsList();
                        for (Assignment assignment : claimed) {
                            server.workers().complete(CompleteRequest.newBuilder().setLease(assignment.getLease())
                                    .setMessage("done").build());
                        }
                    }
                }
            } catch (StatusRuntimeException e) {
                // A Cancel of an ended execution, a Complete that lost its lease to a Cancel: the races of a load.
                Status.Code code = e.getStatus().getCode();
                if (code != Status.Code.FAILED_PRECONDITION && code != Status.Code.ABORTED) {
                    throw e;
                }
            }
        }

        void stopAndJoin() throws Exception {
            stop.set(true);
            for (Future<?> task : tasks) {
                task.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
        }
    }

    /** A stream that cancels itself as soon as snapshot_complete arrives, before any live event. */
    private static final class CancelAtSnapshotComplete
            implements ClientResponseObserver<WatchExecutionsRequest, WatchExecutionsResponse> {
        final StreamRecorder<WatchExecutionsResponse> recorder = new StreamRecorder<>();
        private ClientCallStreamObserver<WatchExecutionsRequest> call;

        @Override
        public void beforeStart(ClientCallStreamObserver<WatchExecutionsRequest> requestStream) {
            this.call = requestStream;
        }

        @Override
        public void onNext(WatchExecutionsResponse value) {
            recorder.onNext(value);
            if (value.hasSnapshotComplete()) {
                call.cancel("broken right after snapshot_complete", null);
            }
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
    void aSnapshotWatcherBrokenAndResumedOnBothReplicasEndsWithSearchsStateExactlyOnce() throws Exception {
        Writers writers = new Writers(a, b);
        List<WatchExecutionsResponse> received = new ArrayList<>();
        try {
            Eventually.await(WAIT, "the load to be under way", () -> writers.runs.get() >= 60);

            // 1. The snapshot, broken right after snapshot_complete (in the observer: no live event slips in).
            CancelAtSnapshotComplete first = new CancelAtSnapshotComplete();
            ExecutionServiceGrpc.newStub(a.channel()).withDeadlineAfter(120, TimeUnit.SECONDS)
                    .watchExecutions(request().setSnapshot(true).build(), first);
            first.recorder.awaitEnd(WAIT);
            received.addAll(first.recorder.values());
            WatchExecutionsResponse complete = received.get(received.size() - 1);
            assertTrue(complete.hasSnapshotComplete(), "the first stream ends at snapshot_complete");
            assertTrue(complete.getSnapshotComplete().getCount() > 0, "the snapshot had rows");
            assertEquals(complete.getSnapshotComplete().getCount(),
                    received.stream().filter(WatchExecutionsResponse::hasSnapshot).count());

            // 2. Broken after a few messages and resumed, alternating replicas, while the writers go on.
            Random random = new Random(19);
            for (int resume = 0; resume < 6; resume++) {
                TestServer server = resume % 2 == 0 ? b : a;
                int take = 1 + random.nextInt(40);
                Context.CancellableContext context = Context.current().withCancellation();
                StreamRecorder<WatchExecutionsResponse> stream = watch(server,
                        request().setAfterSequence(resumePoint(received)).build(), context);
                stream.awaitValues(v -> v.size() >= take, WAIT);
                context.cancel(null);
                stream.awaitEnd(WAIT); // after its end nothing more arrives: what it holds, the client saw
                received.addAll(stream.values());
            }
            // The load goes on for a few seconds in all (the streams above ran in its middle).
            Eventually.await(WAIT, "a few hundred Runs over three seconds", () -> writers.runs.get() >= 300
                    && System.nanoTime() - writers.started >= TimeUnit.SECONDS.toNanos(3));
        } finally {
            writers.stopAndJoin();
        }
        // 3. The last stream, until the client holds what Search says (writers stopped: it catches up; a
        // reaper may still end a CANCELLING one, so Search is asked again each time).
        Context.CancellableContext context = Context.current().withCancellation();
        StreamRecorder<WatchExecutionsResponse> last = watch(a,
                request().setAfterSequence(resumePoint(received)).build(), context);
        try {
            Eventually.await(WAIT, "the client to hold Search's state", () -> {
                List<WatchExecutionsResponse> all = new ArrayList<>(received);
                all.addAll(last.values());
                return Model.of(all).states().equals(revisionsAndStatuses(search(b)));
            });
        } finally {
            context.cancel(null);
        }
        last.awaitEnd(WAIT);
        received.addAll(last.values());

        Model model = Model.of(received);
        Map<String, Execution> expected = search(b);
        assertEquals(revisionsAndStatuses(expected), model.states(), "exactly Search's final state");
        assertTrue(expected.size() > 50, "many executions matched: " + expected.size());
        assertTrue(model.events > 0, "live events arrived after the snapshot");
        for (Map.Entry<String, TreeSet<Long>> entry : model.revisions.entrySet()) {
            TreeSet<Long> revisions = entry.getValue();
            long first = model.snapshotRevisions.getOrDefault(entry.getKey(), 0L) + 1;
            if (!revisions.isEmpty()) {
                assertEquals(first, revisions.first(), () -> "the first revision after the snapshot row of "
                        + entry.getKey());
                assertEquals(revisions.last() - revisions.first() + 1, revisions.size(),
                        () -> "contiguous revisions of " + entry.getKey() + ": " + revisions);
            }
        }
    }

    private static WatchExecutionsRequest.Builder request() {
        return WatchExecutionsRequest.newBuilder().setFilter(filter())
                .setHeartbeatInterval(Durations.fromSeconds(1));
    }

    private static StreamRecorder<WatchExecutionsResponse> watch(TestServer server, WatchExecutionsRequest request,
                                                                  Context.CancellableContext context) {
        StreamRecorder<WatchExecutionsResponse> recorder = new StreamRecorder<>();
        context.run(() -> ExecutionServiceGrpc.newStub(server.channel()).withDeadlineAfter(120, TimeUnit.SECONDS)
                .watchExecutions(request, recorder));
        return recorder;
    }

    /** The last resume point the client was given: an event's, snapshot_complete's or a heartbeat's. */
    private static long resumePoint(List<WatchExecutionsResponse> received) {
        for (int i = received.size() - 1; i >= 0; i--) {
            WatchExecutionsResponse r = received.get(i);
            if (r.hasEvent()) {
                return r.getEvent().getSequence();
            }
            if (r.hasSnapshotComplete()) {
                return r.getSnapshotComplete().getSequence();
            }
            if (r.hasHeartbeat() && r.getHeartbeat().getSequence() != 0) {
                return r.getHeartbeat().getSequence();
            }
        }
        throw new AssertionError("no resume point received");
    }

    /** What a dashboard holds: the latest state of each execution, and what it was sent of each. */
    private static final class Model {
        final Map<String, Execution> latest = new HashMap<>();
        final Map<String, Long> snapshotRevisions = new HashMap<>();
        final Map<String, TreeSet<Long>> revisions = new HashMap<>();
        int events;

        static Model of(List<WatchExecutionsResponse> received) {
            Model model = new Model();
            Set<String> seen = new HashSet<>();
            for (WatchExecutionsResponse r : received) {
                Execution e;
                if (r.hasSnapshot()) {
                    e = r.getSnapshot();
                    model.snapshotRevisions.put(e.getId(), e.getRevision());
                    model.revisions.put(e.getId(), new TreeSet<>());
                } else if (r.hasEvent()) {
                    ExecutionEvent event = r.getEvent();
                    e = event.getExecution();
                    assertEquals(event.getRevision(), e.getRevision());
                    model.revisions.computeIfAbsent(e.getId(), id -> new TreeSet<>()).add(e.getRevision());
                    model.events++;
                } else {
                    continue;
                }
                String key = e.getId() + "@" + e.getRevision();
                assertTrue(seen.add(key), () -> "revision received twice: " + key);
                Execution before = model.latest.get(e.getId());
                if (before == null || before.getRevision() < e.getRevision()) {
                    model.latest.put(e.getId(), e);
                }
            }
            return model;
        }

        Map<String, String> states() {
            Map<String, String> states = new HashMap<>();
            latest.forEach((id, e) -> states.put(id, e.getRevision() + " " + e.getStatus()));
            return states;
        }
    }

    private static Map<String, String> revisionsAndStatuses(Map<String, Execution> executions) {
        Map<String, String> states = new HashMap<>();
        executions.forEach((id, e) -> states.put(id, e.getRevision() + " " + e.getStatus()));
        return states;
    }

    /** Every execution that Search finds with the same filter, page by page. */
    private static Map<String, Execution> search(TestServer server) {
        Map<String, Execution> found = new HashMap<>();
        String token = "";
        do {
            SearchResponse page = server.executions().search(SearchRequest.newBuilder().setFilter(filter())
                    .setPageSize(1000).setPageToken(token).build());
            page.getExecutionsList().forEach(e -> found.put(e.getId(), e));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        assertNotEquals(0, found.size());
        return found;
    }
}
