package dev.runplane.server.watch;

import dev.runplane.server.store.events.EventHub;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.Context;
import io.grpc.Status;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WatchExecutions across two replicas on one database, with many concurrent writers: every event
 * exactly once, each execution in revision order, through a killed hub connection and resumes.
 */
class WatchExecutionsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

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

    private static StreamRecorder<WatchExecutionsResponse> watch(TestServer server, WatchExecutionsRequest request,
                                                                  Context.CancellableContext context) {
        StreamRecorder<WatchExecutionsResponse> recorder = new StreamRecorder<>();
        context.run(() -> ExecutionServiceGrpc.newStub(server.channel()).withDeadlineAfter(120, TimeUnit.SECONDS)
                .watchExecutions(request, recorder));
        return recorder;
    }

    private static StreamRecorder<WatchExecutionsResponse> watch(TestServer server, WatchExecutionsRequest request) {
        return watch(server, request, Context.current().withCancellation());
    }

    /** The whole log as (execution id → revisions in sequence order), straight from the table. */
    private List<Long> logSequences(String pipeline) throws Exception {
        List<Long> sequences = new ArrayList<>();
        try (Connection c = TestPostgres.jdbc(a.database()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ev.sequence FROM execution_events ev JOIN executions x"
                     + " ON x.id = ev.execution_id WHERE x.pipeline = '" + pipeline + "' ORDER BY ev.sequence")) {
            while (rs.next()) {
                sequences.add(rs.getLong(1));
            }
        }
        return sequences;
    }

    /** Asserts: no event twice, and each execution's revisions arrive 1, 2, 3, ... without a gap. */
    private static void assertExactlyOnceInRevisionOrder(List<ExecutionEvent> events) {
        Set<Long> seen = new HashSet<>();
        Map<String, Long> lastRevision = new HashMap<>();
        for (ExecutionEvent event : events) {
            assertTrue(seen.add(event.getSequence()), () -> "sequence delivered twice: " + event.getSequence());
            long previous = lastRevision.getOrDefault(event.getExecutionId(), 0L);
            assertEquals(previous + 1, event.getRevision(), () -> "revision order of " + event.getExecutionId());
            lastRevision.put(event.getExecutionId(), event.getRevision());
        }
    }

    private static List<ExecutionEvent> events(List<WatchExecutionsResponse> responses) {
        return responses.stream().map(WatchExecutionsResponse::getEvent).toList();
    }

    private static WatchExecutionsRequest pipeline(String name) {
        return WatchExecutionsRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().addPipelines(name)).build();
    }

    @Test
    void aWatcherOnReplicaBSeesEveryTransitionMadeThroughReplicaA() throws Exception {
        StreamRecorder<WatchExecutionsResponse> onB = watch(b, pipeline("cross"));
        StreamRecorder<WatchExecutionsResponse> other = watch(b, pipeline("elsewhere"));
        b.awaitWatchers(2);
        // 40 executions × 9 events, by 16 concurrent writers: sequences commit out of order.
        new Transitioner(a.app().database().pool()).createAndCycle("cross", 40, 3, 16).blockLast();
        // and through A's API, whose commits are announced by A's coalescing notifier, not the trigger
        for (int i = 0; i < 20; i++) {
            a.executions().run(dev.runplane.v1.RunRequest.newBuilder().setPipeline("cross").build());
        }
        List<Long> log = logSequences("cross");
        assertEquals(40 * 9 + 20, log.size());
        List<ExecutionEvent> seen = events(onB.awaitCount(log.size(), WAIT));
        assertExactlyOnceInRevisionOrder(seen);
        assertEquals(new HashSet<>(log), new HashSet<>(seen.stream().map(ExecutionEvent::getSequence).toList()));
        assertEquals(List.of(), other.values(), "the pipeline filter holds");
    }

    @Test
    void killingTheHubConnectionLosesAndRepeatsNothing() throws Exception {
        StreamRecorder<WatchExecutionsResponse> onA = watch(a, pipeline("killed"));
        StreamRecorder<WatchExecutionsResponse> onB = watch(b, pipeline("killed"));
        a.awaitWatchers(1);
        b.awaitWatchers(1);
        CompletableFuture<Void> writers = new Transitioner(a.app().database().pool())
                .createAndCycle("killed", 60, 3, 8).then().toFuture();
        int killed = 0;
        try (Connection c = TestPostgres.jdbc(a.database()); Statement s = c.createStatement()) {
            while (!writers.isDone() && killed < 6) {
                try (ResultSet rs = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND application_name = '" + EventHub.APPLICATION_NAME
                        + "'")) {
                    rs.next();
                    killed += rs.getInt(1);
                }
                TimeUnit.MILLISECONDS.sleep(100); // pacing the kills while the writers run: a rhythm, not a poll
            }
        }
        writers.get(60, TimeUnit.SECONDS);
        List<Long> log = logSequences("killed");
        assertEquals(60 * 9, log.size());
        assertTrue(killed >= 2, "killed the hubs' connections " + killed + " times");
        for (StreamRecorder<WatchExecutionsResponse> watcher : List.of(onA, onB)) {
            List<ExecutionEvent> seen = events(watcher.awaitCount(log.size(), WAIT));
            assertExactlyOnceInRevisionOrder(seen);
            assertEquals(new HashSet<>(log), new HashSet<>(seen.stream().map(ExecutionEvent::getSequence).toList()));
        }
        Eventually.within(WAIT, () -> a.app().eventHub().connects() >= 2 && b.app().eventHub().connects() >= 2);
        assertTrue(a.app().eventHub().connects() > 1 && b.app().eventHub().connects() > 1, "the hubs reconnected");
    }

    @Test
    void aClientThatDisconnectsKTimesAndResumesGetsTheWholeHistoryOnce() throws Exception {
        // The first watch starts before any event, so "from now" covers the whole history.
        Context.CancellableContext context = Context.current().withCancellation();
        StreamRecorder<WatchExecutionsResponse> stream = watch(b, pipeline("resumed"), context);
        b.awaitWatchers(1);
        CompletableFuture<Void> writers = new Transitioner(a.app().database().pool())
                .createAndCycle("resumed", 50, 3, 8).then().toFuture();
        Random random = new Random(42);
        List<ExecutionEvent> received = new ArrayList<>();
        int resumes = 0;
        while (resumes < 8) {
            int take = 1 + random.nextInt(40);
            // take a few more events, or fewer if the writers are done and the stream has nothing left
            List<WatchExecutionsResponse> got = stream.awaitValues(v -> v.size() >= take || writers.isDone(), WAIT);
            context.cancel(null);
            // what arrived before the cancel took effect counts too: the client saw it
            received.addAll(events(stream.values()));
            long last = received.get(received.size() - 1).getSequence();
            context = Context.current().withCancellation();
            stream = watch(resumes % 2 == 0 ? a : b,
                    pipeline("resumed").toBuilder().setAfterSequence(last).build(), context);
            resumes++;
            assertTrue(got.size() >= take || writers.isDone());
        }
        writers.get(60, TimeUnit.SECONDS);
        List<Long> log = logSequences("resumed");
        assertEquals(50 * 9, log.size());
        int missing = log.size() - received.size();
        received.addAll(events(stream.awaitCount(missing, WAIT)));
        context.cancel(null);
        assertExactlyOnceInRevisionOrder(received);
        assertEquals(log, received.stream().map(ExecutionEvent::getSequence).sorted().toList());
    }

    @Test
    void filtersAndAfterSequenceReplay() throws Exception {
        Transitioner t = new Transitioner(a.app().database().pool());
        var first = t.create("replayed", Map.of("team", "red")).block();
        t.create("replayed", Map.of("team", "blue")).block();
        t.cycle(first.id(), 0).block();
        long firstSequence = logSequences("replayed").get(0);
        StreamRecorder<WatchExecutionsResponse> red = watch(b, WatchExecutionsRequest.newBuilder()
                .setFilter(ExecutionFilter.newBuilder().putLabels("team", "red")).setAfterSequence(firstSequence)
                .build());
        StreamRecorder<WatchExecutionsResponse> succeeded = watch(b, WatchExecutionsRequest.newBuilder()
                .setFilter(ExecutionFilter.newBuilder().addStatuses(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED))
                .setAfterSequence(firstSequence).build());
        List<ExecutionEvent> redEvents = events(red.awaitCount(2, WAIT));
        assertEquals(List.of(2L, 3L), redEvents.stream().map(ExecutionEvent::getRevision).toList());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED,
                events(succeeded.awaitCount(1, WAIT)).get(0).getToStatus());

        var invalid = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> b.executions().watchExecutions(
                WatchExecutionsRequest.newBuilder().setAfterSequence(999_999_999)
                        .setFilter(ExecutionFilter.newBuilder().addPipelines("Bad Name")
                                .addStatuses(ExecutionStatus.EXECUTION_STATUS_UNSPECIFIED).setWorkerId("w".repeat(257)))
                        .build()).hasNext());
        assertEquals(List.of("filter.pipelines[0]", "filter.statuses[0]", "filter.worker_id"),
                Errors.violatedFields(invalid));
        var unknown = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> b.executions().watchExecutions(
                WatchExecutionsRequest.newBuilder().setAfterSequence(999_999_999).build()).hasNext());
        assertEquals(List.of("after_sequence"), Errors.violatedFields(unknown));
    }
}
