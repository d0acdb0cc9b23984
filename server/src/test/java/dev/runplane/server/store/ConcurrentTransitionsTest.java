package dev.runplane.server.store;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.TransitionRequest;
import dev.runplane.server.core.Trigger;
import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.TransitionRefusedException;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store on a real PostgreSQL: one transition per transaction, and racing transitions. */
class ConcurrentTransitionsTest {

    private static DatabaseAddress address;
    private static Database database;
    private static PostgresExecutionStore store;

    @BeforeAll
    static void open() {
        address = TestPostgres.newDatabase();
        database = Database.open(address, 40);
        store = new PostgresExecutionStore(database.pool());
    }

    @AfterAll
    static void close() {
        database.close();
    }

    static NewExecution newExecution() {
        return new NewExecution("nightly", Mode.PRODUCTION, 0, Map.of("twin", "t1"), "{\"day\":\"2026-11-22\"}",
                Trigger.api(), null, null, null, null, null, 3, Duration.ofMinutes(5), null, "test");
    }

    @Test
    void createWritesRevisionOneAndItsEvent() throws Exception {
        Execution created = store.create(newExecution()).block();
        assertEquals(ExecutionState.QUEUED, created.status());
        assertEquals(1, created.revision());
        assertEquals(Map.of("twin", "t1"), created.labels());
        assertEquals(Duration.ofMinutes(5), created.maxRuntime());
        assertEquals(List.of("null>QUEUED@1"), history(created.id()));
    }

    @Test
    void refusedTransitionIsAnErrorAndWritesNothing() throws Exception {
        Execution created = store.create(newExecution()).block();
        store.transition(TransitionRequest.of(created.id(), Action.COMPLETE, "test", ""))
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> {
                    assertTrue(e instanceof TransitionRefusedException);
                    assertEquals(ExecutionState.QUEUED, ((TransitionRefusedException) e).from());
                })
                .verify();
        assertEquals(List.of("null>QUEUED@1"), history(created.id()));
        assertEquals(1, store.find(created.id()).block().revision());
    }

    @Test
    void transitionOfAnUnknownExecutionIsNotFound() {
        store.transition(TransitionRequest.of(UUID.randomUUID(), Action.CANCEL, "test", ""))
                .as(StepVerifier::create)
                .expectError(NotFoundException.class)
                .verify();
    }

    @Test
    void transitionsSetTheirTimes() {
        Execution created = store.create(newExecution()).block();
        Execution running = store.transition(new TransitionRequest(created.id(), Action.CLAIM, "worker:w1", "",
                "w1", null, null, null)).block();
        assertEquals(ExecutionState.RUNNING, running.status());
        assertEquals(1, running.attempt());
        assertEquals("w1", running.workerId());
        assertTrue(running.startTime() != null && running.endTime() == null);
        Execution done = store.transition(new TransitionRequest(created.id(), Action.COMPLETE, "worker:w1", "",
                null, "{\"rows\":3}", "done", null)).block();
        assertEquals(ExecutionState.SUCCEEDED, done.status());
        assertEquals("{\"rows\": 3}", done.outputsJson());
        assertEquals("done", done.message());
        assertTrue(done.endTime() != null);
        assertEquals(3, done.revision());
    }

    /** 50 racing terminal transitions (complete, fail, time out) at one running execution: exactly one wins. */
    @RepeatedTest(5)
    void exactlyOneOfFiftyConflictingTransitionsWins() throws Exception {
        Execution created = store.create(newExecution()).block();
        store.transition(TransitionRequest.of(created.id(), Action.CLAIM, "w", "")).block();
        Action[] finishers = {Action.COMPLETE, Action.FAIL, Action.TIME_OUT};
        AtomicInteger refused = new AtomicInteger();
        List<Mono<Execution>> racers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            racers.add(store.transition(TransitionRequest.of(created.id(), finishers[i % 3], "racer-" + i, ""))
                    .onErrorResume(TransitionRefusedException.class, e -> {
                        refused.incrementAndGet();
                        return Mono.empty();
                    })
                    .subscribeOn(Schedulers.parallel()));
        }
        List<Execution> winners = Flux.merge(racers).collectList().block();

        assertEquals(1, winners.size(), "exactly one winner");
        assertEquals(49, refused.get(), "every other racer refused");
        Execution winner = winners.get(0);
        assertEquals(3, winner.revision());
        assertEquals(List.of("null>QUEUED@1", "QUEUED>RUNNING@2", "RUNNING>" + winner.status() + "@3"),
                history(created.id()));
        assertEquals(winner.status(), store.find(created.id()).block().status());
    }

    /**
     * 25 claims against 25 cancels at one queued execution. Claim-then-cancel is a legal sequence, so
     * the history is either QUEUED>CANCELLED, or QUEUED>RUNNING then RUNNING>CANCELLING: one claim at
     * most, one cancel exactly, and never anything else.
     */
    @RepeatedTest(5)
    void claimsRacingCancelsLeaveALegalHistory() throws Exception {
        Execution created = store.create(newExecution()).block();
        List<Mono<Execution>> racers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Action action = i % 2 == 0 ? Action.CLAIM : Action.CANCEL;
            racers.add(store.transition(new TransitionRequest(created.id(), action, "racer-" + i, "",
                            action == Action.CLAIM ? "w" + i : null, null, null, null))
                    .onErrorResume(TransitionRefusedException.class, e -> Mono.empty())
                    .subscribeOn(Schedulers.parallel()));
        }
        List<Execution> winners = Flux.merge(racers).collectList().block();
        List<String> history = history(created.id());
        if (winners.size() == 1) {
            assertEquals(List.of("null>QUEUED@1", "QUEUED>CANCELLED@2"), history);
        } else {
            assertEquals(2, winners.size(), "one claim and one cancel");
            assertEquals(List.of("null>QUEUED@1", "QUEUED>RUNNING@2", "RUNNING>CANCELLING@3"), history);
        }
    }

    /** Many transitions in sequence from many threads: revisions stay gapless. */
    @Test
    void revisionsAreGaplessUnderConcurrentWriters() throws Exception {
        Execution created = store.create(newExecution()).block();
        store.transition(TransitionRequest.of(created.id(), Action.CLAIM, "w", "")).block();
        // RETRY and CLAIM alternate; racers of the wrong kind are refused, never half-applied.
        List<Mono<Execution>> racers = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Action action = i % 2 == 0 ? Action.RETRY : Action.CLAIM;
            racers.add(store.transition(TransitionRequest.of(created.id(), action, "racer", ""))
                    .onErrorResume(TransitionRefusedException.class, e -> Mono.empty())
                    .subscribeOn(Schedulers.parallel()));
        }
        int applied = Flux.merge(racers).collectList().block().size();
        List<Long> revisions = revisions(created.id());
        assertEquals(applied + 2, revisions.size());
        for (int i = 0; i < revisions.size(); i++) {
            assertEquals(i + 1, revisions.get(i), "gapless revisions " + revisions);
        }
        assertEquals(revisions.size(), store.find(created.id()).block().revision());
    }

    private static List<String> history(UUID id) throws Exception {
        List<String> events = new ArrayList<>();
        try (Connection c = TestPostgres.jdbc(address);
             PreparedStatement s = c.prepareStatement(
                     "SELECT from_status, to_status, revision FROM execution_events WHERE execution_id = ? ORDER BY revision")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    events.add(r.getString(1) + ">" + r.getString(2) + "@" + r.getLong(3));
                }
            }
        }
        return events;
    }

    private static List<Long> revisions(UUID id) throws Exception {
        List<Long> revisions = new ArrayList<>();
        try (Connection c = TestPostgres.jdbc(address);
             PreparedStatement s = c.prepareStatement(
                     "SELECT revision FROM execution_events WHERE execution_id = ? ORDER BY sequence")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    revisions.add(r.getLong(1));
                }
            }
        }
        return revisions;
    }
}
