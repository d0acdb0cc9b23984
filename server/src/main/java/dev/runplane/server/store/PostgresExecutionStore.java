package dev.runplane.server.store;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.ContentionException;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.ExecutionStore;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.NotFoundException;
import dev.runplane.server.core.RequestIdConflictException;
import dev.runplane.server.core.TransitionRefusedException;
import dev.runplane.server.core.TransitionRequest;
import dev.runplane.server.core.Transitions;
import dev.runplane.server.core.WorkSignals;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The executions, their steps and their events in PostgreSQL. Each write is ONE statement (and so
 * one transaction): the row change and its event row commit together, or not at all. After each
 * commit that queued work, the store itself wakes this replica's pollers, once per commit
 * ({@link QueuedSignals}): a single Run or transition for its execution, a group-committed Run
 * statement for all of its Runs.
 */
public final class PostgresExecutionStore implements ExecutionStore {

    private static final String STATE = ExecutionReader.STATE;

    /**
     * Inserts an execution and its first event, or nothing when a unique index (request_id, or the
     * active dedup_key) turns the row away: {@code ON CONFLICT DO NOTHING} waits for a racing insert
     * to commit, so the caller can then read the row that won.
     */
    private static final String INSERT_SQL = """
            WITH e AS (
                INSERT INTO executions (id, pipeline, status, mode, priority, labels, inputs, trigger_kind,
                    trigger_actor, trigger_variables, parent_id, rerun_of, request_id, request_fingerprint, dedup_key,
                    max_attempts, max_runtime_ms, scheduled_for, create_time, queue_time, end_time, update_time,
                    duplicate_of, message, revision)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10::jsonb, $11, $12, $13, $14, $15, $16, $17,
                    coalesce($18::timestamptz, now()), now(),
                    CASE WHEN $3 = 'QUEUED' THEN now() END, CASE WHEN $3 = 'QUEUED' THEN NULL ELSE now() END, now(),
                    $20, $21, 1)
                ON CONFLICT DO NOTHING
                RETURNING %1$s
            ), ev AS (
                INSERT INTO execution_events (execution_id, revision, from_status, to_status, event_time, actor, reason,
                    state)
                SELECT id, revision, NULL, status, update_time, $19, $21, %2$s FROM e /*mark*/
            )
            SELECT %1$s FROM e
            """.formatted(ExecutionReader.COLUMNS, STATE);

    private static final String FIND_BY_REQUEST_ID_SQL = "SELECT " + ExecutionReader.COLUMNS
            + " FROM executions WHERE request_id = $1";

    private static final String FIND_ACTIVE_BY_DEDUP_KEY_SQL = "SELECT id FROM executions"
            + " WHERE dedup_key = $1 AND status IN ('QUEUED', 'RUNNING', 'CANCELLING')";

    /** How often a Run may lose the dedup race to holders that finish at once before it gives up. */
    private static final int MAX_CREATE_ATTEMPTS = 20;

    private static final String FIND_SQL = "SELECT " + ExecutionReader.COLUMNS + " FROM executions WHERE id = $1";

    private static final String STEPS_SQL = """
            SELECT name, status, start_time, end_time, message, metrics
            FROM execution_steps WHERE execution_id = $1 ORDER BY position
            """;

    private final ConnectionFactory connections;
    private final Map<Action, String> transitionSql = new EnumMap<>(Action.class);
    private final CoalescingNotifier notifier;
    private final QueuedSignals signals;
    private final String insertSql;
    /** Concurrent Runs share one INSERT statement and one commit. */
    private final RunBatcher runs;

    /**
     * A store whose commits are announced by the database trigger, one NOTIFY per statement, and
     * wake no pollers in-process.
     */
    public PostgresExecutionStore(ConnectionFactory connections) {
        this(connections, null, null);
    }

    /**
     * A store whose commits are announced by {@code notifier} (coalesced, after commit; its
     * statements mark their transaction so that the trigger stays silent, V3 migration), and whose
     * commits that queue work tell {@code signals} (this replica's pollers); either may be null.
     */
    public PostgresExecutionStore(ConnectionFactory connections, CoalescingNotifier notifier, WorkSignals signals) {
        this.connections = connections;
        this.notifier = notifier;
        this.signals = QueuedSignals.of(signals);
        this.runs = new RunBatcher(connections, notifier, this.signals,
                pending -> insert(pending.id(), pending.execution(), Action.ENQUEUE, null));
        // The event INSERT evaluates the mark before the statement ends, so before the trigger runs.
        this.insertSql = CoalescingNotifier.marked(INSERT_SQL, notifier);
        for (Action action : Action.values()) {
            if (!Transitions.edges(action).isEmpty()) {
                transitionSql.put(action, CoalescingNotifier.marked(TransitionSql.build(action), notifier));
            }
        }
    }

    private <T> Mono<T> announced(Mono<T> committed) {
        return notifier == null ? committed : committed.doOnSuccess(value -> {
            if (value != null) {
                notifier.committed();
            }
        });
    }

    /**
     * Run's creation rules. The row is inserted as QUEUED; if a unique index turns it away, a new
     * statement (which sees what the racing insert committed) finds out why: the same request_id
     * answers that execution (or a conflict if the request differs); an active holder of the
     * dedup_key makes this Run a SKIPPED execution pointing at the holder; and a holder that
     * finished in between means the QUEUED insert is tried again.
     */
    @Override
    public Mono<Execution> create(NewExecution n) {
        return create(n, MAX_CREATE_ATTEMPTS);
    }

    /**
     * The batchable ones are queued together at once, so that they share statements; see {@link #create}.
     * The executions are created whether or not the caller still listens, so each answer's creation
     * rules and announcement run as its commit answers, not when the caller gets round to reading it.
     */
    @Override
    public List<Mono<Execution>> createAll(List<NewExecution> executions) {
        List<NewExecution> batchable = executions.stream().filter(RunBatcher::batchable).toList();
        Iterator<Mono<Execution>> inserted = runs.insertAll(
                batchable.stream().map(n -> Ids.newId()).toList(), batchable).iterator();
        return executions.stream()
                .map(n -> RunBatcher.batchable(n) ? afterInsert(n, announced(inserted.next()), MAX_CREATE_ATTEMPTS)
                        : create(n))
                .map(created -> {
                    Mono<Execution> started = created.cache();
                    started.subscribe(execution -> { }, error -> { }); // the caller reads the error from the cache
                    return started;
                })
                .toList();
    }

    private Mono<Execution> create(NewExecution n, int attemptsLeft) {
        if (attemptsLeft == 0) {
            return Mono.error(new ContentionException("the dedup_key changed hands too often; retry the Run"));
        }
        Mono<Execution> queued = RunBatcher.batchable(n) ? announced(runs.insert(Ids.newId(), n))
                : insert(Ids.newId(), n, Action.ENQUEUE, null);
        return afterInsert(n, queued, attemptsLeft);
    }

    /** The QUEUED insert's answer, or (when a unique index refused the row) why: see {@link #create}. */
    private Mono<Execution> afterInsert(NewExecution n, Mono<Execution> queued, int attemptsLeft) {
        return queued
                .switchIfEmpty(Mono.defer(() -> sameRequest(n)))
                .switchIfEmpty(Mono.defer(() -> skipAsDuplicate(n, attemptsLeft)));
    }

    /** The execution an earlier Run with this request id created; empty if the id is new. */
    private Mono<Execution> sameRequest(NewExecution n) {
        if (n.requestId() == null) {
            return Mono.empty();
        }
        return withConnection(connection -> Mono.from(connection.createStatement(FIND_BY_REQUEST_ID_SQL)
                        .bind(0, n.requestId()).execute())
                .flatMap(result -> Mono.from(result.map((row, meta) -> {
                    Execution existing = ExecutionReader.execution(new RowColumns(row));
                    if (!Objects.equals(row.get("request_fingerprint", String.class), n.requestFingerprint())) {
                        throw new RequestIdConflictException(n.requestId(), existing.id());
                    }
                    return existing;
                }))));
    }

    /** Records the Run as SKIPPED if an active execution holds its dedup key; else tries the insert again. */
    private Mono<Execution> skipAsDuplicate(NewExecution n, int attemptsLeft) {
        if (n.dedupKey() == null) {
            return create(n, attemptsLeft - 1);
        }
        return withConnection(connection -> Mono.from(connection.createStatement(FIND_ACTIVE_BY_DEDUP_KEY_SQL)
                        .bind(0, n.dedupKey()).execute())
                .flatMap(result -> Mono.from(result.map((row, meta) -> row.get("id", UUID.class)))))
                .flatMap(holder -> insert(Ids.newId(), n, Action.SKIP, holder)
                        // A racing Run with the same request id was skipped first.
                        .switchIfEmpty(Mono.defer(() -> sameRequest(n))))
                .switchIfEmpty(Mono.defer(() -> create(n, attemptsLeft - 1)));
    }

    /**
     * One INSERT of the execution and its first event, one commit that signals its execution if
     * queued; empty when a unique index refused the row.
     */
    private Mono<Execution> insert(UUID id, NewExecution n, Action action, UUID duplicateOf) {
        ExecutionState status = Transitions.create(action);
        String reason = duplicateOf == null ? null
                : "skipped: execution " + duplicateOf + " holds dedup_key " + n.dedupKey();
        return announced(withConnection(connection -> {
            Statement statement = connection.createStatement(insertSql);
            Binder bind = new Binder(statement);
            bind.value(0, id, UUID.class)
                    .value(1, n.pipeline(), String.class)
                    .value(2, status.name(), String.class)
                    .value(3, n.mode().name(), String.class)
                    .value(4, n.priority(), Integer.class)
                    .value(5, ExecutionReader.labelsJson(n.labels()), String.class)
                    .value(6, n.inputsJson() == null ? "{}" : n.inputsJson(), String.class)
                    .value(7, n.trigger().kind().name(), String.class)
                    .value(8, n.trigger().actor() == null ? "" : n.trigger().actor(), String.class)
                    .value(9, n.trigger().variablesJson(), String.class)
                    .value(10, n.parentId(), UUID.class)
                    .value(11, n.rerunOf(), UUID.class)
                    .value(12, n.requestId(), String.class)
                    .value(13, n.requestFingerprint(), String.class)
                    .value(14, n.dedupKey(), String.class)
                    .value(15, n.maxAttempts(), Integer.class)
                    .value(16, n.maxRuntime() == null ? null : n.maxRuntime().toMillis(), Long.class)
                    .value(17, n.scheduledFor(), Instant.class)
                    .value(18, n.actor(), String.class)
                    .value(19, duplicateOf, UUID.class)
                    .value(20, reason == null ? "" : reason, String.class);
            return Mono.from(statement.execute())
                    .flatMap(result -> Mono.from(result.map((row, meta) -> ExecutionReader.execution(new RowColumns(row)))));
        })).doOnNext(signals::committed);
    }

    @Override
    public Mono<Execution> find(UUID id) {
        return withConnection(connection -> {
            Mono<Execution> execution = Mono.from(connection.createStatement(FIND_SQL).bind(0, id).execute())
                    .flatMap(result -> Mono.from(result.map((row, meta) -> ExecutionReader.execution(new RowColumns(row)))));
            return execution.flatMap(found -> Flux.from(connection.createStatement(STEPS_SQL).bind(0, id).execute())
                    .flatMap(result -> result.map((row, meta) -> ExecutionReader.step(new RowColumns(row))))
                    .collectList()
                    .map(found::withSteps));
        });
    }

    @Override
    public Mono<Execution> transition(TransitionRequest request) {
        String sql = transitionSql.get(request.action());
        if (sql == null) {
            return Mono.error(new TransitionRefusedException(null, request.action()));
        }
        return announced(withConnection(connection -> {
            Statement statement = connection.createStatement(sql);
            new Binder(statement)
                    .value(0, request.executionId(), UUID.class)
                    .value(1, request.actor() == null ? "" : request.actor(), String.class)
                    .value(2, request.reason() == null ? "" : request.reason(), String.class)
                    .value(3, request.workerId(), String.class)
                    .value(4, request.outputsJson(), String.class)
                    .value(5, request.message(), String.class)
                    .value(6, request.error(), String.class);
            return Mono.from(statement.execute())
                    .flatMap(result -> Mono.from(result.map((row, meta) -> outcome(row, request))))
                    .switchIfEmpty(Mono.error(() -> NotFoundException.execution(request.executionId())));
        })).doOnNext(signals::committed); // a RETRY queues it again
    }

    /** A transition's single result row: the changed execution, or the status that refused it. */
    private static Execution outcome(Row row, TransitionRequest request) {
        if (row.get("id", UUID.class) == null) {
            ExecutionState current = ExecutionState.valueOf(row.get("current_status", String.class));
            throw new TransitionRefusedException(current, request.action());
        }
        return ExecutionReader.execution(new RowColumns(row));
    }

    private <T> Mono<T> withConnection(Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(connections.create(), work, Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }

    /** Builds the one statement of each action from the transition table. */
    static final class TransitionSql {

        private TransitionSql() {
        }

        /** A claim (to RUNNING) starts an attempt without the last one's error; that one's event keeps it. */
        static String build(Action action) {
            String toStatus = PostgresWorkerStore.statusCase("status", action);
            String terminal = java.util.Arrays.stream(ExecutionState.values())
                    .filter(ExecutionState::isTerminal)
                    .map(s -> "'" + s.name() + "'")
                    .collect(Collectors.joining(", "));
            String returning = java.util.Arrays.stream(ExecutionReader.COLUMNS.split(", "))
                    .map(column -> "x." + column)
                    .collect(Collectors.joining(", "));
            return """
                    WITH old AS (
                        SELECT id, status AS from_status, %1$s AS to_status
                        FROM executions WHERE id = $1 FOR UPDATE
                    ), e AS (
                        UPDATE executions x SET
                            status = old.to_status,
                            revision = x.revision + 1,
                            update_time = now(),
                            queue_time = CASE WHEN old.to_status = 'QUEUED' THEN now() ELSE x.queue_time END,
                            start_time = CASE WHEN old.to_status = 'RUNNING' THEN now() ELSE x.start_time END,
                            end_time = CASE WHEN old.to_status IN (%2$s) THEN now() ELSE x.end_time END,
                            attempt = CASE WHEN old.to_status = 'RUNNING' THEN x.attempt + 1 ELSE x.attempt END,
                            cancel_time = CASE WHEN '%3$s' = 'CANCEL' THEN now() ELSE x.cancel_time END,
                            lease_token = CASE WHEN old.to_status IN (%2$s) THEN NULL ELSE x.lease_token END,
                            lease_expire_time = CASE WHEN old.to_status IN (%2$s) THEN NULL ELSE x.lease_expire_time END,
                            worker_id = coalesce($4, x.worker_id),
                            outputs = coalesce($5::jsonb, x.outputs),
                            message = coalesce($6, CASE WHEN '%3$s' = 'CANCEL' AND $3 <> '' THEN $3 END, x.message),
                            error = coalesce($7, CASE WHEN old.to_status = 'RUNNING' THEN '' END, x.error)
                        FROM old
                        WHERE x.id = old.id AND old.to_status IS NOT NULL
                        RETURNING %4$s, old.from_status
                    ), ev AS (
                        INSERT INTO execution_events (execution_id, revision, from_status, to_status, event_time, actor,
                            reason, state)
                        SELECT id, revision, from_status, status, update_time, $2, $3, %5$s FROM e /*mark*/
                    )
                    SELECT old.from_status AS current_status, e.* FROM old LEFT JOIN e ON true
                    """.formatted(toStatus, terminal, action.name(), returning, STATE);
        }
    }
}
