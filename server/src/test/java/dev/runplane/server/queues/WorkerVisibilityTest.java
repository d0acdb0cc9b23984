package dev.runplane.server.queues;

import com.google.protobuf.util.Durations;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.core.WorkerWindows;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.Keys;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.CreateKeyResponse;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.Lease;
import dev.runplane.v1.ListQueuesRequest;
import dev.runplane.v1.ListWorkersRequest;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.Queue;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.Worker;
import dev.runplane.v1.WorkerServiceGrpc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ListWorkers over real Polls on three replicas of one database (docs/workers.md): a worker shows on
 * every replica within seconds of its first Poll, with its pipelines, its key and what it holds;
 * Polls within the write interval write its row once; a change of pipelines is written at once;
 * heartbeats keep a busy worker listed; a worker that stops leaves the list once the window
 * passes; and rows unseen for a day are deleted.
 */
class WorkerVisibilityTest {

    /** Writes a worker's row at most once a minute: any second write within a test is a change. */
    private static final WorkerWindows RARE_WRITES = new WorkerWindows(Duration.ofMinutes(5), Duration.ofMinutes(2),
            Duration.ofMinutes(1), Duration.ofDays(1));
    /** Lists a worker for two and a half seconds after its last call. */
    private static final WorkerWindows SHORT = new WorkerWindows(Duration.ofMillis(2500), Duration.ofMillis(2500),
            Duration.ofMillis(200), Duration.ofDays(1));

    private static DatabaseAddress database;
    private static TestServer rare;
    private static TestServer other;
    private static TestServer brief;
    private static String reader;
    private static String work;
    private static String workKeyId;
    private static String runner;

    @BeforeAll
    static void start() throws SQLException {
        database = TestPostgres.newDatabase();
        rare = TestServer.start(database, WorkerSettings.DEFAULT.withWindows(RARE_WRITES));
        other = TestServer.start(database);
        brief = TestServer.start(database, WorkerSettings.DEFAULT.withWindows(SHORT));
        String admin = createKey(null, KeyScope.KEY_SCOPE_ADMIN).getToken();
        reader = createKey(admin, KeyScope.KEY_SCOPE_READ).getToken();
        CreateKeyResponse worker = createKey(admin, KeyScope.KEY_SCOPE_WORK);
        work = worker.getToken();
        workKeyId = worker.getKey().getId();
        runner = createKey(admin, KeyScope.KEY_SCOPE_RUN).getToken();
        // A worker last seen two days ago (before any Poll here: each replica's first write deletes stale rows).
        try (Connection c = TestPostgres.jdbc(database); Statement s = c.createStatement()) {
            s.execute("INSERT INTO workers (worker_id, pipelines, last_seen_time) VALUES ('gone', '{x}', now() - interval '2 days')");
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        for (TestServer server : new TestServer[] {rare, other, brief}) {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void aWorkerShowsOnEveryReplicaWithItsPipelinesKeyAndRunningExecutions() throws Exception {
        executions(rare, runner).run(RunRequest.newBuilder().setPipeline("shown-b").build());
        assertEquals(1, poll(rare, "shown", List.of("shown-b", "shown-a"), 1));
        for (TestServer replica : List.of(rare, other)) {
            Worker shown = Eventually.awaitPresent(Duration.ofSeconds(10), "the worker on a replica",
                    () -> worker(replica, "shown"));
            assertEquals(List.of("shown-a", "shown-b"), shown.getPipelinesList());
        }
        Worker shown = worker(other, "shown").orElseThrow();
        assertEquals(workKeyId, shown.getKeyId());
        assertEquals(1, shown.getRunningCount());
        assertTrue(shown.hasLastSeenTime());
        // ListQueues counts it as a worker of both pipelines.
        List<Queue> queues = executions(other, reader).listQueues(ListQueuesRequest.newBuilder()
                .addPipelines("shown-a").addPipelines("shown-b").build()).getQueuesList();
        assertEquals(List.of(Queue.newBuilder().setPipeline("shown-a").setWorkerCount(1).build(),
                Queue.newBuilder().setPipeline("shown-b").setRunningCount(1).setWorkerCount(1).build()), queues);
        // Filtered by a pipeline, it shows that pipeline only, and what it holds of it.
        Worker ofA = executions(other, reader).listWorkers(ListWorkersRequest.newBuilder().addPipelines("shown-a")
                .build()).getWorkersList().stream().filter(w -> w.getWorkerId().equals("shown")).findFirst().orElseThrow();
        assertEquals(List.of("shown-a"), ofA.getPipelinesList());
        assertEquals(0, ofA.getRunningCount());
    }

    @Test
    void pollsWithinTheIntervalWriteTheRowOnceAndAChangeOfPipelinesAtOnce() throws Exception {
        poll(rare, "coalesced", List.of("co"), 0);
        String first = Eventually.awaitPresent(Duration.ofSeconds(10), "the worker's row", () -> rowVersion("coalesced"));
        for (int i = 0; i < 20; i++) {
            poll(rare, "coalesced", List.of("co"), 0);
        }
        // Another replica's Polls would write too (each replica coalesces its own): only this one's here.
        assertEquals(Optional.of(first), rowVersion("coalesced"), "20 more Polls within the interval wrote nothing");
        poll(rare, "coalesced", List.of("co", "co-2"), 0);
        String changed = Eventually.await(Duration.ofSeconds(10), "the new pipelines written",
                () -> rowVersion("coalesced").orElseThrow(), version -> !version.equals(first));
        assertNotEquals(first, changed);
        assertEquals(List.of("co", "co-2"), worker(other, "coalesced").orElseThrow().getPipelinesList());
    }

    @Test
    void aWorkerThatStopsLeavesTheListOnceTheWindowPasses() throws Exception {
        poll(brief, "leaving", List.of("leaving"), 0);
        // Recorded (a slow machine might miss the short window if this waited for the list itself).
        Eventually.awaitPresent(Duration.ofSeconds(10), "the worker's row", () -> rowVersion("leaving"));
        Eventually.await(Duration.ofSeconds(10), "the worker gone from the list", () -> worker(brief, "leaving").isEmpty());
        assertTrue(rowVersion("leaving").isPresent(), "the window hides it; its row stays until it is a day old");
        // Nor does its pipeline, which has nothing else, remain a queue.
        assertEquals(List.of(), executions(brief, reader).listQueues(ListQueuesRequest.newBuilder()
                .addPipelines("leaving").build()).getQueuesList());
    }

    /**
     * A worker busy with one long execution polls no more, but its heartbeats keep it listed (with
     * the pipelines of its last Poll), on a replica whose window is shorter than the test.
     */
    @Test
    void heartbeatsKeepABusyWorkerListed() throws Exception {
        executions(brief, runner).run(RunRequest.newBuilder().setPipeline("long-one").build());
        Lease lease = Keys.withKey(WorkerServiceGrpc.newBlockingStub(brief.channel()), work)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .poll(PollRequest.newBuilder().setWorkerId("busy").addPipelines("long-one")
                        .setMaxWait(Durations.fromSeconds(5)).setLeaseDuration(Durations.fromSeconds(60)).build())
                .getAssignments(0).getLease();
        Eventually.awaitPresent(Duration.ofSeconds(10), "the worker listed", () -> worker(brief, "busy"));
        Eventually.holds(SHORT.listWindow().multipliedBy(3).dividedBy(2), "listed while it heartbeats", () -> {
            Keys.withKey(WorkerServiceGrpc.newBlockingStub(brief.channel()), work).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .heartbeat(HeartbeatRequest.newBuilder().setLease(lease).build());
            Optional<Worker> busy = worker(brief, "busy");
            return busy.isPresent() && busy.get().getRunningCount() == 1
                    && busy.get().getPipelinesList().equals(List.of("long-one"));
        });
    }

    /** Rows unseen for a day (the forget window) go with a replica's next write, a bounded batch. */
    @Test
    void aRowUnseenForADayIsDeletedWhenAWorkerIsWritten() throws Exception {
        poll(other, "fresh", List.of("fresh"), 0);
        Eventually.await(Duration.ofSeconds(10), "the stale row deleted", () -> rowVersion("gone").isEmpty());
        Eventually.awaitPresent(Duration.ofSeconds(10), "the fresh row", () -> rowVersion("fresh"));
    }

    /** The row's version (xmin): any write of the row changes it. */
    private static Optional<String> rowVersion(String workerId) throws SQLException {
        try (Connection c = TestPostgres.jdbc(database);
             PreparedStatement s = c.prepareStatement("SELECT xmin::text FROM workers WHERE worker_id = ?")) {
            s.setString(1, workerId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
            }
        }
    }

    private static Optional<Worker> worker(TestServer replica, String workerId) {
        return executions(replica, reader).listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList()
                .stream().filter(w -> w.getWorkerId().equals(workerId)).findFirst();
    }

    private static int poll(TestServer replica, String workerId, List<String> pipelines, int max) {
        return Keys.withKey(WorkerServiceGrpc.newBlockingStub(replica.channel()), work)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .poll(PollRequest.newBuilder().setWorkerId(workerId).addAllPipelines(pipelines)
                        .setMaxExecutions(Math.max(max, 1)).setMaxWait(Durations.fromMillis(0)).build())
                .getAssignmentsCount();
    }

    private static ExecutionServiceGrpc.ExecutionServiceBlockingStub executions(TestServer replica, String token) {
        return Keys.withKey(ExecutionServiceGrpc.newBlockingStub(replica.channel()), token)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static CreateKeyResponse createKey(String adminToken, KeyScope scope) {
        return Keys.withKey(KeyServiceGrpc.newBlockingStub(rare.channel()), adminToken)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .createKey(CreateKeyRequest.newBuilder().addScopes(scope).setDescription("workers test").build());
    }
}
