package dev.runplane.server.grpc.auth;

import com.google.protobuf.util.Durations;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.core.auth.ApiKeyTokens;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.Keys;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.FailRequest;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RerunRequest;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WorkerServiceGrpc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 17, item 14: the history says who made each change, in the forms of docs/events.md:
 * {@code key:<key id>}, {@code loopback} (no key, before the first one exists), {@code worker:<worker id>}
 * (the id the worker sent in Poll) and {@code reaper}. Every client call was recorded as {@code api}
 * and every worker call by its bare id.
 */
class EventActorTest {

    /** Reaper every 100 ms, cancel grace 300 ms, retries without backoff. */
    private static final WorkerSettings FAST = new WorkerSettings(Duration.ofMillis(100), Duration.ofMillis(300),
            Duration.ZERO, Duration.ZERO, Duration.ofMillis(200));

    private static TestServer server;
    /** Executions created by keyless loopback calls, before any key existed. */
    private static Execution loopbackRun;
    private static Execution loopbackBatchRun;
    private static Execution loopbackCancelled;
    private static Execution loopbackRerun;
    private static String runner;
    private static String runnerId;
    private static String worker;

    @BeforeAll
    static void start() {
        server = TestServer.start(TestPostgres.newDatabase(), OperationsConfig.defaults(), FAST);
        ExecutionServiceGrpc.ExecutionServiceBlockingStub loopback = server.executions();
        loopbackRun = loopback.run(RunRequest.newBuilder().setPipeline("loopback").build()).getExecution();
        loopbackBatchRun = loopback.runBatch(RunBatchRequest.newBuilder()
                .addRuns(RunRequest.newBuilder().setPipeline("loopback")).build()).getResults(0).getExecution();
        loopbackCancelled = loopback.cancel(CancelRequest.newBuilder().setId(loopbackBatchRun.getId()).build())
                .getExecution();
        loopbackRerun = loopback.rerun(RerunRequest.newBuilder().setId(loopbackRun.getId()).build()).getExecution();

        String admin = createKey(null, KeyScope.KEY_SCOPE_ADMIN);
        runner = createKey(admin, KeyScope.KEY_SCOPE_RUN, KeyScope.KEY_SCOPE_READ);
        runnerId = ApiKeyTokens.parseAuthorization("Bearer " + runner).id();
        worker = createKey(admin, KeyScope.KEY_SCOPE_WORK);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static String createKey(String adminToken, KeyScope... scopes) {
        return Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), adminToken)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .createKey(CreateKeyRequest.newBuilder().addAllScopes(List.of(scopes)).setDescription("actors").build())
                .getToken();
    }

    private static ExecutionServiceGrpc.ExecutionServiceBlockingStub executions() {
        return Keys.withKey(ExecutionServiceGrpc.newBlockingStub(server.channel()), runner)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static WorkerServiceGrpc.WorkerServiceBlockingStub workers() {
        return Keys.withKey(WorkerServiceGrpc.newBlockingStub(server.channel()), worker)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static List<Assignment> poll(String workerId, String pipeline, int max, Duration lease) {
        return workers().poll(PollRequest.newBuilder().setWorkerId(workerId).addPipelines(pipeline)
                .setMaxExecutions(max).setMaxWait(Durations.fromSeconds(5))
                .setLeaseDuration(Durations.fromMillis(lease.toMillis())).build()).getAssignmentsList();
    }

    private static Execution get(String id) {
        return executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution();
    }

    /** "to_status by actor" of each event of an execution, in revision order, as stored. */
    private static List<String> actors(String id) throws Exception {
        List<String> events = new ArrayList<>();
        try (Connection c = TestPostgres.jdbc(server.database());
             PreparedStatement s = c.prepareStatement("SELECT to_status, actor FROM execution_events "
                     + "WHERE execution_id = ?::uuid ORDER BY revision")) {
            s.setString(1, id);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    events.add(rows.getString(1) + " by " + rows.getString(2));
                }
            }
        }
        return events;
    }

    private static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
        Eventually.await(Duration.ofSeconds(20), what, condition::get);
    }

    @Test
    void keylessLoopbackCallsBeforeTheFirstKeyAreRecordedAsLoopback() throws Exception {
        assertEquals(List.of("QUEUED by loopback"), actors(loopbackRun.getId()));
        assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, loopbackCancelled.getStatus());
        assertEquals(List.of("QUEUED by loopback", "CANCELLED by loopback"), actors(loopbackBatchRun.getId()));
        assertEquals(List.of("QUEUED by loopback"), actors(loopbackRerun.getId()));
        assertEquals("loopback", loopbackRerun.getTrigger().getActor(), "a rerun's trigger names who reran it");
    }

    @Test
    void callsWithAKeyAreRecordedAsTheKeyAndWorkersByTheirPollWorkerId() throws Exception {
        String key = "key:" + runnerId;
        Execution single = executions().run(RunRequest.newBuilder().setPipeline("keyed").setMaxAttempts(2).build())
                .getExecution();
        Execution batched = executions().runBatch(RunBatchRequest.newBuilder()
                .addRuns(RunRequest.newBuilder().setPipeline("keyed")).build()).getResults(0).getExecution();
        Execution rerun = executions().rerun(RerunRequest.newBuilder().setId(single.getId()).build()).getExecution();
        assertEquals(key, rerun.getTrigger().getActor());

        // One claim of several rows, then every call that carries a lease.
        List<Assignment> claimed = poll("w-actors", "keyed", 3, Duration.ofSeconds(30));
        assertEquals(3, claimed.size());
        Assignment a = claimed.get(0);
        Assignment b = claimed.get(1);
        Assignment c = claimed.get(2);
        workers().heartbeat(HeartbeatRequest.newBuilder().setLease(a.getLease()).setMessage("half way").build());
        workers().fail(FailRequest.newBuilder().setLease(a.getLease()).setError("flaky").setRetryable(true).build());
        executions().cancel(CancelRequest.newBuilder().setId(b.getExecution().getId()).setReason("enough").build());
        workers().fail(FailRequest.newBuilder().setLease(b.getLease()).setError("stopped").build());
        workers().completeBatch(CompleteBatchRequest.newBuilder()
                .addCompletions(CompleteRequest.newBuilder().setLease(c.getLease())).build());
        Assignment again = poll("w-actors-2", "keyed", 1, Duration.ofSeconds(30)).get(0);
        assertEquals(a.getExecution().getId(), again.getExecution().getId());
        workers().complete(CompleteRequest.newBuilder().setLease(again.getLease()).build());

        String w = "worker:w-actors";
        assertEquals(List.of("QUEUED by " + key, "RUNNING by " + w, "RUNNING by " + w, "QUEUED by " + w,
                "RUNNING by worker:w-actors-2", "SUCCEEDED by worker:w-actors-2"), actors(a.getExecution().getId()));
        assertEquals(List.of("QUEUED by " + key, "RUNNING by " + w, "CANCELLING by " + key, "CANCELLED by " + w),
                actors(b.getExecution().getId()));
        assertEquals(List.of("QUEUED by " + key, "RUNNING by " + w, "SUCCEEDED by " + w),
                actors(c.getExecution().getId()));
        for (Execution e : List.of(single, batched, rerun)) {
            assertEquals("QUEUED by " + key, actors(e.getId()).get(0));
        }
    }

    @Test
    void theReaperIsRecordedAsReaper() throws Exception {
        Execution expires = executions().run(RunRequest.newBuilder().setPipeline("reaped").setMaxAttempts(1).build())
                .getExecution();
        Execution ignoresCancel = executions().run(RunRequest.newBuilder().setPipeline("reaped").build())
                .getExecution();
        // The worker claims both and dies: one lease runs out, the other's cancel is never answered.
        assertEquals(expires.getId(), poll("w-gone", "reaped", 1, Duration.ofSeconds(1)).get(0).getExecution().getId());
        assertEquals(ignoresCancel.getId(), poll("w-gone", "reaped", 1, Duration.ofSeconds(30)).get(0).getExecution()
                .getId());
        executions().cancel(CancelRequest.newBuilder().setId(ignoresCancel.getId()).build());
        await("the reaper", () -> get(expires.getId()).getStatus() == ExecutionStatus.EXECUTION_STATUS_FAILED
                && get(ignoresCancel.getId()).getStatus() == ExecutionStatus.EXECUTION_STATUS_CANCELLED);
        assertEquals("FAILED by reaper", actors(expires.getId()).get(2));
        assertEquals("CANCELLED by reaper", actors(ignoresCancel.getId()).get(3));
    }

    @Test
    void aKeylessCallFromAnotherAddressIsAnonymous() {
        assertEquals("loopback", Callers.actor(null, true));
        assertEquals("anonymous", Callers.actor(null, false));
    }
}
