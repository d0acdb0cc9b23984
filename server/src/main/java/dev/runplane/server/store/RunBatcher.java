package dev.runplane.server.store;

import dev.runplane.server.core.Execution;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.store.db.DatabaseErrors;
import dev.runplane.server.store.events.CoalescingNotifier;
import dev.runplane.server.store.events.EventPosition;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Group commit for Run (DESIGN.md "Group commit"): Runs that arrive while earlier ones are being
 * written go together into ONE multi-row INSERT of the executions and their events
 * ({@link ExecutionsSql#INSERT}, the statement that also writes a Run alone, as a batch of one), so
 * one commit serves many callers. Like {@link CompleteBatcher} there is no timer: a lone Run is written at once,
 * and batches form by themselves under load while at most {@link #MAX_IN_FLIGHT} statements run.
 *
 * <p>Each caller keeps its own answer: its execution, or empty when a unique index (request_id, an
 * active dedup_key) turned its row away, exactly as a Run written alone is answered, so the store's
 * creation rules take over from there. A batch that fails as a whole (a constraint no validation
 * foresaw) is written again row by row, so a bad Run never fails its neighbours.
 *
 * <p>Each batch statement is one commit and wakes this replica's pollers once, per pipeline with its
 * count ({@link QueuedSignals}), here, after the commit: not through its callers' answers, whose
 * threads and operators are theirs.
 */
final class RunBatcher {

    static final int MAX_BATCH = 100;
    static final int MAX_IN_FLIGHT = 2;

    private final ConnectionFactory connections;
    private final CoalescingNotifier notifier;
    private final QueuedSignals signals;
    private final String sql;
    /**
     * Writes one Run alone, in its own commit, which it signals itself: for a batch that failed as a
     * whole. Empty when a unique index refused it.
     */
    private final Function<Pending, Mono<Execution>> single;
    private final GroupCommit<Pending> batches = new GroupCommit<>(MAX_IN_FLIGHT, RunBatcher::take, this::writeAndAnswer);

    RunBatcher(ConnectionFactory connections, CoalescingNotifier notifier, QueuedSignals signals,
               Function<Pending, Mono<Execution>> single) {
        this.connections = connections;
        this.notifier = notifier;
        this.signals = signals;
        // The event INSERT evaluates the mark before the statement ends, so before the trigger runs.
        this.sql = CoalescingNotifier.marked(ExecutionsSql.INSERT, notifier);
        this.single = single;
    }

    /** Whether a Run can share a batch: references to other executions could fail the whole statement. */
    static boolean batchable(NewExecution n) {
        return n.parentId() == null && n.rerunOf() == null;
    }

    /** Inserts the Run as QUEUED with the given id; empty when a unique index refused the row. */
    Mono<Execution> insert(UUID id, NewExecution n) {
        return Mono.defer(() -> {
            Pending pending = new Pending(id, n, Sinks.one());
            batches.submit(pending);
            return pending.answer.asMono();
        });
    }

    /**
     * Queues the Runs together (at once, not on subscription) so that they share statements instead
     * of spreading over the first ones, and answers each as {@link #insert} does, in order.
     */
    List<Mono<Execution>> insertAll(List<UUID> ids, List<NewExecution> runs) {
        List<Pending> pending = new ArrayList<>(runs.size());
        for (int i = 0; i < runs.size(); i++) {
            pending.add(new Pending(ids.get(i), runs.get(i), Sinks.one()));
        }
        batches.submitAll(pending);
        return pending.stream().map(p -> p.answer.asMono()).toList();
    }

    private static List<Pending> take(Queue<Pending> queue) {
        List<Pending> batch = new ArrayList<>();
        Pending next;
        while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
            batch.add(next);
        }
        return batch;
    }

    private Mono<Void> writeAndAnswer(List<Pending> batch) {
        return write(batch)
                .onErrorResume(error -> !DatabaseErrors.isUnavailable(error) && batch.size() > 1,
                        error -> oneByOne(batch))
                .doOnNext(written -> {
                    if (notifier != null && written.xid() != null) {
                        notifier.queued(written.xid()); // and signalled here, below
                    }
                    // One commit: its Runs wake this replica's pollers with one signal per pipeline,
                    // before any caller has its answer (so an answered Run has been signalled).
                    try {
                        signals.committed(written.inserted());
                    } finally {
                        deliver(batch, written.outcomes()); // committed: the answers stand whatever a signal did
                    }
                })
                .doOnError(error -> batch.forEach(p -> p.answer.tryEmitError(DatabaseErrors.translate(error))))
                .onErrorResume(error -> Mono.empty())
                .then();
    }

    /** A row the batch statement inserted, and the statement's transaction. */
    private record Inserted(Execution execution, long xid) {
    }

    /**
     * What one statement wrote: the outcomes by Run id (an execution, an error, or nothing when a
     * unique index refused the row), the writing transaction (null when nothing was inserted, or
     * the Runs were written one by one) and the executions that its one commit inserted (none when
     * the Runs were written one by one: each of those commits signalled itself).
     */
    private record Written(Map<UUID, Object> outcomes, Long xid, List<Execution> inserted) {

        static Written of(List<Inserted> rows) {
            Map<UUID, Object> outcomes = new HashMap<>();
            rows.forEach(row -> outcomes.put(row.execution().id(), row.execution()));
            return new Written(outcomes, rows.isEmpty() ? null : rows.get(0).xid(),
                    rows.stream().map(Inserted::execution).toList());
        }
    }

    /** The inserted executions by id; a Run missing from the map was refused by a unique index. */
    private Mono<Written> write(List<Pending> batch) {
        return insert(batch.stream().map(p -> ExecutionsSql.NewRow.queued(p.id, p.execution)).toList())
                .map(Written::of);
    }

    /**
     * One row alone, through the same statement as a batch (an array of one), in its own commit; empty
     * when a unique index refused it. Its caller signals and announces the commit.
     */
    Mono<Execution> insertAlone(ExecutionsSql.NewRow row) {
        return insert(List.of(row))
                .flatMap(rows -> rows.isEmpty() ? Mono.empty() : Mono.just(rows.get(0).execution()))
                .onErrorMap(DatabaseErrors::translate);
    }

    /** The rows in one statement and one commit: those it inserted, with its transaction. */
    private Mono<List<Inserted>> insert(List<ExecutionsSql.NewRow> rows) {
        return Mono.usingWhen(connections.create(), connection -> {
            Statement statement = connection.createStatement(sql);
            ExecutionsSql.bindInsert(statement, rows);
            return Flux.from(statement.execute())
                    .flatMap(result -> result.map((row, meta) -> new Inserted(
                            ExecutionReader.execution(new RowColumns(row)),
                            EventPosition.xid(row.get("xid_text", String.class)))))
                    .collectList();
        }, Connection::close);
    }

    /** The batch failed as a whole: each Run alone, so that only the bad one fails (with its own error). */
    private Mono<Written> oneByOne(List<Pending> batch) {
        return Flux.fromIterable(batch)
                .concatMap(p -> single.apply(p)
                        .map(e -> Map.entry(p.id, (Object) e))
                        .onErrorResume(error -> Mono.just(Map.entry(p.id, DatabaseErrors.translate(error)))))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .map(outcomes -> new Written(outcomes, null, List.of()));
    }

    private static void deliver(List<Pending> batch, Map<UUID, Object> outcomes) {
        for (Pending p : batch) {
            Object outcome = outcomes.get(p.id);
            if (outcome instanceof Execution execution) {
                p.answer.tryEmitValue(execution);
            } else if (outcome instanceof Throwable error) {
                p.answer.tryEmitError(error);
            } else {
                p.answer.tryEmitEmpty(); // a unique index refused the row
            }
        }
    }

    /** One Run waiting for its batch. */
    record Pending(UUID id, NewExecution execution, Sinks.One<Execution> answer) {
    }
}
