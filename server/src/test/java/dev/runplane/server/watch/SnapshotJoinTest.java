package dev.runplane.server.watch;

import com.google.rpc.ErrorInfo;
import dev.runplane.server.core.Action;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The join of a snapshot, step by step (docs/events.md, "Snapshot, then live"): an open transaction
 * holds the hub below the statement's xmax, so the stream waits for it; the change that the
 * snapshot row already shows is left out, the one made after the statement is sent before
 * snapshot_complete, and snapshot_complete's sequence is past both. A stream ended while it waits
 * ends at once, without a resume point.
 */
class SnapshotJoinTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    private static String describe(WatchExecutionsResponse r, UUID x, UUID y) {
        if (r.hasSnapshot()) {
            return "row " + name(r.getSnapshot().getId(), x, y) + "@" + r.getSnapshot().getRevision();
        }
        if (r.hasEvent()) {
            return "event " + name(r.getEvent().getExecutionId(), x, y) + "@" + r.getEvent().getRevision();
        }
        if (r.hasSnapshotComplete()) {
            return "complete " + r.getSnapshotComplete().getCount();
        }
        return "heartbeat";
    }

    private static String name(String id, UUID x, UUID y) {
        return id.equals(x.toString()) ? "x" : id.equals(y.toString()) ? "y" : id;
    }

    private static long maxSequence(Statement sql) throws Exception {
        try (ResultSet rs = sql.executeQuery("SELECT max(sequence) FROM execution_events")) {
            assertTrue(rs.next());
            return rs.getLong(1);
        }
    }

    @Test
    void aStreamEndedWhileItWaitsForTheHubEndsAtOnceWithoutAResumePoint() throws Exception {
        Transitioner transitions = new Transitioner(server.get().app().database().pool());
        transitions.create("waiting", Map.of()).block();
        try (Connection open = TestPostgres.jdbc(server.database()); Statement holder = open.createStatement()) {
            open.setAutoCommit(false);
            holder.execute("SELECT pg_current_xact_id()");
            transitions.create("waiting", Map.of()).block(); // behind the open transaction: the hub waits
            StreamRecorder<WatchExecutionsResponse> stream = new StreamRecorder<>();
            ExecutionServiceGrpc.newStub(server.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .watchExecutions(WatchExecutionsRequest.newBuilder().setSnapshot(true)
                            .setFilter(ExecutionFilter.newBuilder().addPipelines("waiting")).build(), stream);
            stream.awaitCount(2, WAIT); // the rows; the join waits for the open transaction
            server.get().app().eventHub().endWatchersForOutage();
            StatusRuntimeException ended = (StatusRuntimeException) stream.awaitEnd(WAIT);
            assertEquals(Status.Code.UNAVAILABLE, ended.getStatus().getCode());
            ErrorInfo info = Errors.errorInfo(ended).orElseThrow();
            assertEquals("DATABASE_UNAVAILABLE", info.getReason());
            assertFalse(info.containsMetadata("after_sequence"), "no resume point before snapshot_complete");
            assertTrue(stream.values().stream().noneMatch(WatchExecutionsResponse::hasSnapshotComplete));
            open.rollback();
        }
    }

    @Test
    void changesCommittedWhileTheRowsWereReadAreSentOnlyIfTheRowsDoNotShowThem() throws Exception {
        Transitioner transitions = new Transitioner(server.get().app().database().pool());
        UUID x = transitions.create("joined", Map.of()).block().id();
        UUID y = transitions.create("joined", Map.of()).block().id();
        Context.CancellableContext context = Context.current().withCancellation();
        try (Connection open = TestPostgres.jdbc(server.database()); Statement holder = open.createStatement();
             Connection other = TestPostgres.jdbc(server.database()); Statement sql = other.createStatement()) {
            // A transaction with an xid, left open: the hub reads nothing of any later transaction.
            open.setAutoCommit(false);
            holder.execute("SELECT pg_current_xact_id()");
            transitions.apply(x, Action.CLAIM).block(); // committed, behind the open one: the snapshot shows it
            long claimOfX = maxSequence(sql);

            StreamRecorder<WatchExecutionsResponse> stream = new StreamRecorder<>();
            context.run(() -> ExecutionServiceGrpc.newStub(server.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .watchExecutions(WatchExecutionsRequest.newBuilder().setSnapshot(true)
                            .setFilter(ExecutionFilter.newBuilder().addPipelines("joined")).build(), stream));
            stream.awaitCount(2, WAIT); // the rows: the statement has run
            transitions.apply(y, Action.CLAIM).block(); // after the statement: its row does not show it
            long claimOfY = maxSequence(sql);
            Eventually.holds(Duration.ofMillis(500), "no snapshot_complete while the open transaction holds the hub",
                    () -> stream.values().stream().noneMatch(WatchExecutionsResponse::hasSnapshotComplete));

            open.commit();
            List<WatchExecutionsResponse> got = stream.awaitValues(v -> v.stream()
                    .anyMatch(WatchExecutionsResponse::hasSnapshotComplete), WAIT);
            assertEquals(List.of("row y@1", "row x@2", "event y@2", "complete 2"),
                    got.stream().map(r -> describe(r, x, y)).toList(),
                    "x's claim is in its row and left out; y's is sent before the end");
            long complete = got.get(3).getSnapshotComplete().getSequence();
            assertTrue(complete >= claimOfY && claimOfY > claimOfX, "the resume point is past both claims: "
                    + complete);
        } finally {
            context.cancel(null);
        }
    }
}
