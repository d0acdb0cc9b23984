package dev.runplane.server.store;

import dev.runplane.server.core.Assignment;
import dev.runplane.server.core.ClaimRequest;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.Trigger;
import dev.runplane.server.core.TriggerKind;
import dev.runplane.server.core.WorkerReport;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.core.WorkerStore;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.RecordingSignals;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The stores wake this replica's pollers themselves, after each commit that queued work (issue 18:
 * no decorator, no ThreadLocal): a single Run, a retryable Fail and the reaper's requeues signal once
 * per statement; a commit that queues nothing (a SKIPPED Run, a repeated request id, a final Fail, an
 * idle sweep) signals nothing. Group-committed Runs: RunBatcherTest.
 */
class StoreSignalsTest {

    private static DatabaseAddress address;
    private static Database database;

    @BeforeAll
    static void open() {
        address = TestPostgres.newDatabase();
        database = Database.open(address, 4);
    }

    @AfterAll
    static void close() {
        database.close();
    }

    private static NewExecution run(String pipeline, int maxAttempts, String requestId, String dedupKey) {
        return new NewExecution(pipeline, Mode.PRODUCTION, 0, Map.of(), "{}", Trigger.api(), null, null,
                requestId, requestId == null ? null : "fingerprint", dedupKey, maxAttempts, null, null, "test");
    }

    private static WorkerStore workerStore(RecordingSignals signals) {
        return new PostgresWorkerStore(database.pool(), database.pool(), null, signals);
    }

    private static List<Assignment> claim(WorkerStore store, String pipeline, int max) {
        return store.claim(new ClaimRequest("w", List.of(pipeline), max, Duration.ofMinutes(5))).block();
    }

    @Test
    void aSingleRunSignalsItsCommitAndASkippedOrRepeatedRunDoesNot() {
        RecordingSignals signals = new RecordingSignals();
        PostgresExecutionStore store = new PostgresExecutionStore(database.pool(), null, signals);
        Execution first = store.create(run("single", 1, "req-1", "key-1")).block();
        assertEquals(List.of("single x 1"), signals.sent(), "a Run of one is a commit of one");

        // A rerun points at another execution, so it is written alone: its own commit, its own signal.
        Execution rerun = store.create(new NewExecution("single", Mode.PRODUCTION, 0, Map.of(), "{}",
                new Trigger(TriggerKind.RERUN, "test", null), null, first.id(), null, null, null, 1, null, null,
                "test")).block();
        assertEquals(ExecutionState.QUEUED, rerun.status());
        assertEquals(List.of("single x 1", "single x 1"), signals.sent());

        Execution skipped = store.create(run("single", 1, null, "key-1")).block();
        assertEquals(ExecutionState.SKIPPED, skipped.status());
        Execution repeated = store.create(run("single", 1, "req-1", "key-1")).block();
        assertEquals(first.id(), repeated.id());
        assertEquals(List.of("single x 1", "single x 1"), signals.sent(), "nothing new was queued");
    }

    @Test
    void aRetryableFailSignalsItsPipelineAndAFinalFailDoesNot() {
        new PostgresExecutionStore(database.pool()).create(run("retry", 2, null, null)).block();
        RecordingSignals signals = new RecordingSignals();
        WorkerStore store = workerStore(signals);

        Assignment first = claim(store, "retry", 1).get(0);
        Execution again = store.fail(WorkerReport.fail(first.lease(), "flaky", true, Duration.ZERO, List.of()),
                WorkerSettings.DEFAULT).block();
        assertEquals(ExecutionState.QUEUED, again.status());
        assertEquals(List.of("retry x 1"), signals.sent());

        Assignment second = claim(store, "retry", 1).get(0);
        Execution failed = store.fail(WorkerReport.fail(second.lease(), "flaky", true, Duration.ZERO, List.of()),
                WorkerSettings.DEFAULT).block();
        assertEquals(ExecutionState.FAILED, failed.status(), "attempts exhausted");
        assertEquals(List.of("retry x 1"), signals.sent());
    }

    @Test
    void aReaperStatementThatRequeuesSignalsOnceAndAnIdleOneDoesNot() throws Exception {
        PostgresExecutionStore executions = new PostgresExecutionStore(database.pool());
        executions.create(run("reaped", 2, null, null)).block();
        executions.create(run("reaped", 2, null, null)).block();
        RecordingSignals signals = new RecordingSignals();
        WorkerStore store = workerStore(signals);
        List<Assignment> claimed = claim(store, "reaped", 2);
        assertEquals(2, claimed.size());
        try (Connection c = TestPostgres.jdbc(address); PreparedStatement s = c.prepareStatement(
                "UPDATE executions SET lease_expire_time = now() - interval '1 second' WHERE pipeline = 'reaped'")) {
            s.executeUpdate(); // both workers died
        }

        WorkerStore.ReapResult reaped = store.reap(WorkerSettings.DEFAULT, 100).block();
        assertEquals(2, reaped.requeued());
        // The sweep counts its requeues without naming their pipelines: one waiter of every group.
        assertEquals(List.of("null x 1"), signals.sent(), "one signal for the statement, not one per execution");
        assertEquals(0, store.reap(WorkerSettings.DEFAULT, 100).block().changed());
        assertEquals(List.of("null x 1"), signals.sent());
        for (Assignment a : claimed) {
            assertEquals(ExecutionState.QUEUED, executions.find(a.execution().id()).block().status());
        }
    }
}
