package dev.runplane.server.store;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.Transitions;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Instant;
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
 * written go together into ONE multi-row INSERT of the executions and their events, so one commit
 * serves many callers. Like {@link CompleteBatcher} there is no timer: a lone Run is written at once,
 * and batches form by themselves under load while at most {@link #MAX_IN_FLIGHT} statements run.
 *
 * <p>Each caller keeps its own answer: its execution, or empty when a unique index (request_id, an
 * active dedup_key) turned its row away, exactly as the single-row insert answers, so the store's
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

    private static final String BATCH_SQL = """
            WITH input AS (
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[],
                    $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[],
                    $14::bigint[], $15::text[], $16::text[]) WITH ORDINALITY
                    AS i(id, pipeline, mode, priority, labels, inputs, trigger_kind, trigger_actor, trigger_variables,
                         request_id, request_fingerprint, dedup_key, max_attempts, max_runtime_ms, scheduled_for, actor,
                         ord)
            ), e AS (
                INSERT INTO executions (id, pipeline, status, mode, priority, labels, inputs, trigger_kind,
                    trigger_actor, trigger_variables, request_id, request_fingerprint, dedup_key, max_attempts,
                    max_runtime_ms, scheduled_for, create_time, queue_time, update_time, message, revision)
                SELECT id, pipeline, '%1$s', mode, priority, labels::jsonb, inputs::jsonb, trigger_kind,
                    trigger_actor, trigger_variables::jsonb, request_id, request_fingerprint, dedup_key, max_attempts,
                    max_runtime_ms, coalesce(scheduled_for::timestamptz, now()), now(), now(), now(), '', 1
                FROM input ORDER BY ord
                ON CONFLICT DO NOTHING
                RETURNING %2$s
            ), ev AS (
                INSERT INTO execution_events (execution_id, revision, from_status, to_status, event_time, actor, reason,
                    state)
                SELECT e.id, e.revision, NULL, e.status, e.update_time, input.actor, '', %3$s
                FROM e JOIN input ON input.id = e.id /*mark*/
            )
            SELECT %2$s, pg_current_xact_id()::text AS xid_text FROM e
            """;

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
        this.sql = CoalescingNotifier.marked(BATCH_SQL.formatted(Transitions.create(Action.ENQUEUE).name(),
                ExecutionReader.COLUMNS, ExecutionReader.STATE), notifier);
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
        int n = batch.size();
        UUID[] ids = new UUID[n];
        String[] pipelines = new String[n];
        String[] modes = new String[n];
        Integer[] priorities = new Integer[n];
        String[] labels = new String[n];
        String[] inputs = new String[n];
        String[] triggerKinds = new String[n];
        String[] triggerActors = new String[n];
        String[] triggerVariables = new String[n];
        String[] requestIds = new String[n];
        String[] fingerprints = new String[n];
        String[] dedupKeys = new String[n];
        Integer[] maxAttempts = new Integer[n];
        Long[] maxRuntimes = new Long[n];
        String[] scheduledFor = new String[n];
        String[] actors = new String[n];
        for (int i = 0; i < n; i++) {
            NewExecution r = batch.get(i).execution;
            ids[i] = batch.get(i).id;
            pipelines[i] = r.pipeline();
            modes[i] = r.mode().name();
            priorities[i] = r.priority();
            labels[i] = ExecutionReader.labelsJson(r.labels());
            inputs[i] = r.inputsJson() == null ? "{}" : r.inputsJson();
            triggerKinds[i] = r.trigger().kind().name();
            triggerActors[i] = r.trigger().actor() == null ? "" : r.trigger().actor();
            triggerVariables[i] = r.trigger().variablesJson();
            requestIds[i] = r.requestId();
            fingerprints[i] = r.requestFingerprint();
            dedupKeys[i] = r.dedupKey();
            maxAttempts[i] = r.maxAttempts();
            maxRuntimes[i] = r.maxRuntime() == null ? null : r.maxRuntime().toMillis();
            Instant at = r.scheduledFor();
            scheduledFor[i] = at == null ? null : at.toString();
            actors[i] = r.actor();
        }
        return Mono.usingWhen(connections.create(), connection -> Flux.from(connection.createStatement(sql)
                                .bind(0, ids).bind(1, pipelines).bind(2, modes).bind(3, priorities).bind(4, labels)
                                .bind(5, inputs).bind(6, triggerKinds).bind(7, triggerActors).bind(8, triggerVariables)
                                .bind(9, requestIds).bind(10, fingerprints).bind(11, dedupKeys).bind(12, maxAttempts)
                                .bind(13, maxRuntimes).bind(14, scheduledFor).bind(15, actors).execute())
                        .flatMap(result -> result.map((row, meta) -> new Inserted(
                                ExecutionReader.execution(new RowColumns(row)),
                                EventPosition.xid(row.get("xid_text", String.class)))))
                        .collectList()
                        .map(Written::of),
                Connection::close);
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
