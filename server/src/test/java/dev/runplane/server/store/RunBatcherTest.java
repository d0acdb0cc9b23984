package dev.runplane.server.store;

import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.ExecutionStore;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.Trigger;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.RecordingSignals;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Group commit of Runs on a real PostgreSQL: many concurrent Runs, fewer statements, each its own answer. */
class RunBatcherTest {

    private static DatabaseAddress address;
    private static Database database;
    private static PostgresExecutionStore store;

    @BeforeAll
    static void open() {
        address = TestPostgres.newDatabase();
        database = Database.open(address, 8);
        store = new PostgresExecutionStore(database.pool());
    }

    @AfterAll
    static void close() {
        database.close();
    }

    private static NewExecution run(String pipeline, String inputsJson) {
        return new NewExecution(pipeline, Mode.PRODUCTION, 0, Map.of("k", "v"), inputsJson, Trigger.api(),
                null, null, null, null, null, 1, null, null, "test");
    }

    @Test
    void concurrentRunsShareStatementsAndEachGetsItsOwnExecution() throws Exception {
        RecordingSignals signals = new RecordingSignals();
        ExecutionStore signalling = new PostgresExecutionStore(database.pool(), null, signals);
        List<Mono<Execution>> runs = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            runs.add(signalling.create(run("batch", "{\"i\":" + i + "}")).subscribeOn(Schedulers.parallel()));
        }
        List<Execution> created = Flux.merge(runs).collectList().block();

        assertEquals(400, created.size());
        Set<String> inputs = new HashSet<>();
        for (Execution e : created) {
            assertEquals(ExecutionState.QUEUED, e.status());
            assertEquals(1, e.revision());
            inputs.add(e.inputsJson());
        }
        assertEquals(400, inputs.size(), "every caller got its own execution, not a neighbour's");
        assertEquals(400, count("SELECT count(*) FROM executions WHERE pipeline = 'batch'"));
        assertEquals(400, count("SELECT count(*) FROM execution_events ev JOIN executions x ON x.id = ev.execution_id"
                + " WHERE x.pipeline = 'batch' AND ev.revision = 1 AND ev.to_status = 'QUEUED'"));
        // Each event row records its transaction: batches form only under contention, so the count
        // varies, but 400 concurrent Runs must not need 400 commits.
        long transactions = count("SELECT count(DISTINCT ev.xid) FROM execution_events ev"
                + " JOIN executions x ON x.id = ev.execution_id WHERE x.pipeline = 'batch'");
        assertTrue(transactions < 400, "transactions for 400 concurrent Runs: " + transactions);
        // Pollers are woken once per commit, for all of its executions (QueuedSignals).
        assertEquals(transactions, signals.sent().size(), "one signal per commit");
        assertEquals(400, signals.sent().stream()
                .mapToInt(sent -> Integer.parseInt(sent.substring("batch x ".length()))).sum());
    }

    @Test
    void runsCreatedTogetherFillWholeStatementsAndAnswerInOrder() {
        RecordingSignals signals = new RecordingSignals();
        ExecutionStore signalling = new PostgresExecutionStore(database.pool(), null, signals);
        List<NewExecution> runs = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            runs.add(run("together", "{\"i\": " + i + "}"));
        }
        List<Execution> created = Flux.concat(signalling.createAll(runs)).collectList().block();

        for (int i = 0; i < 250; i++) {
            assertEquals("{\"i\": " + i + "}", created.get(i).inputsJson(), "answer " + i + " is its own");
        }
        assertEquals(3, count("SELECT count(DISTINCT ev.xid) FROM execution_events ev"
                + " JOIN executions x ON x.id = ev.execution_id WHERE x.pipeline = 'together'"),
                "250 Runs handed over together: statements of 100, 100 and 50");
        assertEquals(List.of("together x 100", "together x 100", "together x 50"),
                signals.sent().stream().sorted().toList(), "one signal per commit");
    }

    /**
     * Issue 18: signals once went through the answers (a ThreadLocal batch that their delivery had to
     * fill on the writing thread), so one {@code publishOn} in the path made a signal per Run. Here
     * every answer continues on another thread, and the commits still signal once each.
     */
    @Test
    void batchesStillCoalesceWhenAnswersAreDeliveredOnAnotherThread() {
        RecordingSignals signals = new RecordingSignals();
        ExecutionStore signalling = new PostgresExecutionStore(database.pool(), null, signals);
        Set<String> answeredOn = ConcurrentHashMap.newKeySet();
        List<Mono<Execution>> runs = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            runs.add(signalling.create(run("hop", "{\"i\":" + i + "}"))
                    .publishOn(Schedulers.parallel())
                    .doOnNext(e -> answeredOn.add(Thread.currentThread().getName()))
                    .subscribeOn(Schedulers.parallel()));
        }
        assertEquals(400, Flux.merge(runs).collectList().block().size());

        assertFalse(answeredOn.isEmpty());
        assertTrue(answeredOn.stream().allMatch(name -> name.startsWith("parallel-")),
                "every answer was delivered on another thread than the commit's: " + answeredOn);
        assertTrue(signals.threads().stream().noneMatch(name -> name.startsWith("parallel-")),
                "signals are sent where the commit answers, not where its answers go: " + signals.threads());
        long transactions = count("SELECT count(DISTINCT ev.xid) FROM execution_events ev"
                + " JOIN executions x ON x.id = ev.execution_id WHERE x.pipeline = 'hop'");
        assertTrue(transactions < 400, "transactions for 400 concurrent Runs: " + transactions);
        assertEquals(transactions, signals.sent().size(), "one signal per commit, not one per Run");
        assertEquals(400, signals.sent().stream()
                .mapToInt(sent -> Integer.parseInt(sent.substring("hop x ".length()))).sum());
    }

    @Test
    void oneCommitSignalsEachOfItsPipelinesOnceWithItsCount() {
        RecordingSignals signals = new RecordingSignals();
        ExecutionStore signalling = new PostgresExecutionStore(database.pool(), null, signals);
        List<NewExecution> runs = List.of(run("mixed-a", "{}"), run("mixed-b", "{}"), run("mixed-a", "{}"),
                run("mixed-a", "{}"));
        assertEquals(4, Flux.concat(signalling.createAll(runs)).collectList().block().size());

        assertEquals(1, count("SELECT count(DISTINCT ev.xid) FROM execution_events ev"
                + " JOIN executions x ON x.id = ev.execution_id WHERE x.pipeline LIKE 'mixed-%'"), "one commit");
        assertEquals(List.of("mixed-a x 3", "mixed-b x 1"), signals.sent().stream().sorted().toList());
    }

    @Test
    void aRunThatFailsItsBatchFailsAloneAndItsNeighboursAreStored() {
        AtomicInteger failed = new AtomicInteger();
        List<Mono<Execution>> runs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            // Not JSON: no validated request looks like this, but the store must not fail its neighbours.
            String inputs = i == 30 ? "{not json" : "{}";
            runs.add(store.create(run("neighbours", inputs))
                    .onErrorResume(e -> {
                        failed.incrementAndGet();
                        return Mono.empty();
                    })
                    .subscribeOn(Schedulers.parallel()));
        }
        List<Execution> created = Flux.merge(runs).collectList().block();
        assertEquals(1, failed.get());
        assertEquals(59, created.size());
        assertEquals(59, count("SELECT count(*) FROM executions WHERE pipeline = 'neighbours'"));
    }

    private static long count(String sql) {
        try (Connection c = TestPostgres.jdbc(address); ResultSet r = c.createStatement().executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
