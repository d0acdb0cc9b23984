package dev.runplane.server.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A WatchExecutions stream started "from now" that ends before any event of its own still carries a
 * resume point: the last event the hub had delivered when it joined. Resuming from it delivers
 * exactly what was written after, nothing missed, nothing from before.
 */
class WatchFromNowResumeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aQuietStreamEndedByAnOutageResumesExactlyWhereItJoined() throws Exception {
        try (TestServer server = TestServer.start();
             Connection jdbc = TestPostgres.jdbc(server.database()); Statement sql = jdbc.createStatement()) {
            Transitioner transitions = new Transitioner(server.app().database().pool());
            // Events elsewhere first, seen by the hub (a watcher of them receives all 9).
            StreamRecorder<WatchExecutionsResponse> noise = watch(server, request("noise", 0));
            server.awaitWatchers(1);
            transitions.createAndCycle("noise", 3, 0, 1).blockLast();
            noise.awaitCount(9, WAIT);
            long lastAtJoin = longValue(sql, "SELECT max(sequence) FROM execution_events");

            StreamRecorder<WatchExecutionsResponse> quiet = watch(server, request("quiet", 0));
            server.awaitWatchers(2);
            server.app().eventHub().endWatchersForOutage();
            StatusRuntimeException ended = (StatusRuntimeException) quiet.awaitEnd(WAIT);
            assertEquals(Status.Code.UNAVAILABLE, ended.getStatus().getCode());
            assertEquals(List.of(), quiet.values(), "the quiet stream saw nothing of its own");
            ErrorInfo info = Errors.errorInfo(ended).orElseThrow();
            assertEquals("DATABASE_UNAVAILABLE", info.getReason());
            assertEquals(Long.toString(lastAtJoin), info.getMetadataOrThrow("after_sequence"),
                    "resume point = the last event delivered when the stream joined");

            transitions.createAndCycle("quiet", 2, 0, 1).blockLast();
            StreamRecorder<WatchExecutionsResponse> resumed = watch(server,
                    request("quiet", Long.parseLong(info.getMetadataOrThrow("after_sequence"))));
            List<Long> seen = new ArrayList<>();
            resumed.awaitCount(6, WAIT).forEach(r -> seen.add(r.getEvent().getSequence()));
            List<Long> log = new ArrayList<>();
            try (ResultSet rs = sql.executeQuery("SELECT e.sequence FROM execution_events e JOIN executions x"
                    + " ON x.id = e.execution_id WHERE x.pipeline = 'quiet' ORDER BY e.xid, e.sequence")) {
                while (rs.next()) {
                    log.add(rs.getLong(1));
                }
            }
            assertEquals(log, seen, "exactly the quiet pipeline's events, in log order");
        }
    }

    @Test
    void aStreamJoiningBeforeTheHubDeliveredAnythingResumesFromTheLastEventBeforeItStarted() throws Exception {
        DatabaseAddress database = TestPostgres.newDatabase();
        try (TestServer before = TestServer.start(database)) {
            new Transitioner(before.app().database().pool()).createAndCycle("earlier", 2, 0, 1).blockLast();
        }
        try (TestServer server = TestServer.start(database);
             Connection jdbc = TestPostgres.jdbc(server.database()); Statement sql = jdbc.createStatement()) {
            long lastBeforeStart = longValue(sql, "SELECT max(sequence) FROM execution_events");
            StreamRecorder<WatchExecutionsResponse> quiet = watch(server, request("fresh", 0));
            server.awaitWatchers(1);
            server.app().eventHub().endWatchersForOutage();
            StatusRuntimeException ended = (StatusRuntimeException) quiet.awaitEnd(WAIT);
            ErrorInfo info = Errors.errorInfo(ended).orElseThrow();
            assertEquals(Long.toString(lastBeforeStart), info.getMetadataOrThrow("after_sequence"),
                    "resume point = the last event before the hub started, not 0 (which means from now)");

            new Transitioner(server.app().database().pool()).createAndCycle("fresh", 1, 0, 1).blockLast();
            StreamRecorder<WatchExecutionsResponse> resumed = watch(server,
                    request("fresh", Long.parseLong(info.getMetadataOrThrow("after_sequence"))));
            assertEquals(3, resumed.awaitCount(3, WAIT).size(), "the fresh pipeline's three events, none missed");
        }
    }

    @Test
    void onAnEmptyLogTheResumePointIsMinusOneWhichReplaysFromTheStart() throws Exception {
        try (TestServer server = TestServer.start(TestPostgres.newDatabase())) {
            // A snapshot of nothing on an empty log: its end says where to resume, the start of the log.
            StreamRecorder<WatchExecutionsResponse> snapshot = watch(server, request("first", 0).toBuilder()
                    .setSnapshot(true).build());
            WatchExecutionsResponse end = snapshot.awaitCount(1, WAIT).get(0);
            assertEquals(-1, end.getSnapshotComplete().getSequence());
            assertEquals(0, end.getSnapshotComplete().getCount());
            StreamRecorder<WatchExecutionsResponse> quiet = watch(server, request("first", 0));
            server.awaitWatchers(2);
            server.app().eventHub().endWatchersForOutage();
            for (StreamRecorder<WatchExecutionsResponse> stream : List.of(snapshot, quiet)) {
                StatusRuntimeException ended = (StatusRuntimeException) stream.awaitEnd(WAIT);
                assertEquals("-1", Errors.errorInfo(ended).orElseThrow().getMetadataOrThrow("after_sequence"),
                        "no event before the stream: resume from the start of the log");
            }

            Transitioner transitions = new Transitioner(server.app().database().pool());
            transitions.createAndCycle("other", 1, 0, 1).blockLast();
            transitions.createAndCycle("first", 2, 0, 1).blockLast();
            StreamRecorder<WatchExecutionsResponse> resumed = watch(server, request("first", -1));
            List<Long> seen = new ArrayList<>();
            resumed.awaitCount(6, WAIT).forEach(r -> seen.add(r.getEvent().getSequence()));
            try (Connection jdbc = TestPostgres.jdbc(server.database()); Statement sql = jdbc.createStatement();
                 ResultSet rs = sql.executeQuery("SELECT e.sequence FROM execution_events e JOIN executions x"
                         + " ON x.id = e.execution_id WHERE x.pipeline = 'first' ORDER BY e.xid, e.sequence")) {
                List<Long> log = new ArrayList<>();
                while (rs.next()) {
                    log.add(rs.getLong(1));
                }
                assertEquals(log, seen, "every event of the filter since the log began, in log order");
            }
        }
    }

    @Test
    void aSnapshotStreamEndedRightAfterItsEndResumesFromIt() throws Exception {
        try (TestServer server = TestServer.start()) {
            Transitioner transitions = new Transitioner(server.app().database().pool());
            transitions.createAndCycle("held", 2, 0, 1).blockLast();
            StreamRecorder<WatchExecutionsResponse> stream = watch(server, request("held", 0).toBuilder()
                    .setSnapshot(true).build());
            List<WatchExecutionsResponse> got = stream.awaitValues(v -> !v.isEmpty()
                    && v.get(v.size() - 1).hasSnapshotComplete(), WAIT);
            assertEquals(2, got.stream().filter(WatchExecutionsResponse::hasSnapshot).count());
            long sequence = got.get(got.size() - 1).getSnapshotComplete().getSequence();
            assertTrue(sequence > 0);
            server.app().eventHub().endWatchersForOutage();
            StatusRuntimeException ended = (StatusRuntimeException) stream.awaitEnd(WAIT);
            assertEquals(Long.toString(sequence),
                    Errors.errorInfo(ended).orElseThrow().getMetadataOrThrow("after_sequence"));
        }
    }

    private static WatchExecutionsRequest request(String pipeline, long afterSequence) {
        return WatchExecutionsRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().addPipelines(pipeline))
                .setAfterSequence(afterSequence).build();
    }

    private static StreamRecorder<WatchExecutionsResponse> watch(TestServer server, WatchExecutionsRequest request) {
        StreamRecorder<WatchExecutionsResponse> stream = new StreamRecorder<>();
        ExecutionServiceGrpc.newStub(server.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                .watchExecutions(request, stream);
        return stream;
    }

    private static long longValue(Statement sql, String query) throws Exception {
        try (ResultSet rs = sql.executeQuery(query)) {
            assertTrue(rs.next());
            return rs.getLong(1);
        }
    }
}
