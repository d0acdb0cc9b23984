package dev.runplane.server.store;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.runplane.server.core.Action;
import dev.runplane.server.core.Actors;
import dev.runplane.server.core.Assignment;
import dev.runplane.server.core.ClaimRequest;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.HeartbeatOutcome;
import dev.runplane.server.core.Lease;
import dev.runplane.server.core.LeaseLostException;
import dev.runplane.server.core.NotFoundException;
import dev.runplane.server.core.Step;
import dev.runplane.server.core.TransitionRefusedException;
import dev.runplane.server.core.Transitions;
import dev.runplane.server.core.WorkSignals;
import dev.runplane.server.core.WorkerReport;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.core.WorkerStore;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The worker side of the executions table. Like {@link PostgresExecutionStore}, every write is ONE
 * statement: the conditional UPDATE, its event rows and the step rows commit together. Every status
 * written comes from {@link Transitions} ({@link #statusCase}); a lease is checked in the same
 * statement that uses it, under the row lock, so a stale worker can never change anything. A
 * statement that queues work again (a retryable Fail, the reaper's retries) wakes this replica's
 * pollers after its commit ({@link QueuedSignals}).
 */
public final class PostgresWorkerStore implements WorkerStore {

    private static final String STATE = ExecutionReader.STATE;

    private static final String RETURNING = Arrays.stream(ExecutionReader.COLUMNS.split(", "))
            .map(column -> "x." + column).collect(Collectors.joining(", "));

    private static final String LEASED = Sql.LEASED;

    private static final String TERMINAL = Sql.TERMINAL;

    private static final String QUEUED = "'" + ExecutionState.QUEUED.name() + "'";

    /** The actor of an event that a worker's call writes, from the row's worker_id (what it sent in Poll). */
    private static final String WORKER_ACTOR = "'" + Actors.WORKER_PREFIX + "' || worker_id";

    /** The statuses in which a cancel waits for the worker: its progress no longer replaces the message. */
    private static final String CANCEL_PENDING = Sql.names(Transitions.sources(Action.CONFIRM_CANCEL));

    /**
     * The claim (DESIGN.md "Storage"): the best n of EACH pipeline through its own walk of the
     * executions_queue index (never {@code pipeline = ANY(...)} with the ORDER BY, which sorts the
     * whole queue), then the best n of those. Rows locked by another claim are skipped. The picked
     * rows are updated by key ({@code id = ANY(...)}), not joined: a generic plan takes
     * {@code LIMIT $3} for a tenth of the queue, and planned after an ANALYZE that saw a backlog,
     * the join walked the whole primary key on every claim (KeyedPlansTest). A new attempt starts
     * without the error of the last one (the event that ended that attempt keeps it).
     */
    static final String CLAIM_SQL = """
            WITH picked AS (
                SELECT c.id, c.status AS from_status, c.priority, c.queue_time
                FROM unnest($2::text[]) AS p(pipeline)
                CROSS JOIN LATERAL (
                    SELECT id, status, priority, queue_time FROM executions
                    WHERE pipeline = p.pipeline AND status IN (%1$s) AND scheduled_for <= now()
                    ORDER BY priority DESC, queue_time, id
                    LIMIT $3
                    FOR UPDATE SKIP LOCKED
                ) c
                ORDER BY c.priority DESC, c.queue_time, c.id
                LIMIT $3
            ), e AS (
                UPDATE executions x SET
                    status = %2$s,
                    revision = x.revision + 1,
                    update_time = now(),
                    start_time = now(),
                    attempt = x.attempt + 1,
                    worker_id = $1,
                    lease_token = gen_random_uuid()::text,
                    lease_expire_time = now() + $4::bigint * interval '1 millisecond',
                    lease_duration_ms = $4::bigint,
                    error = ''
                WHERE x.id = ANY(ARRAY(SELECT id FROM picked))
                RETURNING %3$s
            ), ev AS (
                INSERT INTO execution_events (execution_id, revision, from_status, to_status, event_time, actor, state)
                SELECT e.id, e.revision, picked.from_status, e.status, e.update_time, '%5$s' || $1, %4$s
                FROM e JOIN picked ON picked.id = e.id /*mark*/
            )
            SELECT * FROM e ORDER BY priority DESC, queue_time, id
            """.formatted(Sql.names(Transitions.sources(Action.CLAIM)), statusCase("x.status", Action.CLAIM), RETURNING,
            STATE, Actors.WORKER_PREFIX);


    /** Locks the execution and says whether the caller's lease still holds it. Parameters $1-$3. */
    private static final String HELD = """
            SELECT id, status AS from_status,
                (status IN (%s) AND lease_token = $2 AND attempt = $3 AND lease_expire_time > now()) AS held
            """.formatted(LEASED);

    /** Upserts the reported steps ($N as a JSON array) of the execution that {@code e} changed. */
    private static String stepsCte(int param) {
        return """
                st AS (
                    INSERT INTO execution_steps (execution_id, name, position, status, start_time, end_time, message, metrics)
                    SELECT e.id, s.step->>'name',
                        (SELECT count(*) FROM execution_steps WHERE execution_id = e.id)::int + s.ord::int,
                        s.step->>'status', (s.step->>'start_time')::timestamptz, (s.step->>'end_time')::timestamptz,
                        coalesce(s.step->>'message', ''), s.step->'metrics'
                    FROM e, jsonb_array_elements($%d::jsonb) WITH ORDINALITY AS s(step, ord)
                    ON CONFLICT (execution_id, name) DO UPDATE SET
                        status = EXCLUDED.status,
                        start_time = coalesce(EXCLUDED.start_time, execution_steps.start_time),
                        end_time = coalesce(EXCLUDED.end_time, execution_steps.end_time),
                        message = EXCLUDED.message,
                        metrics = coalesce(EXCLUDED.metrics, execution_steps.metrics)
                )""".formatted(param);
    }

    /**
     * Whether a heartbeat changes what a reader sees: its steps do, and its message unless a cancel
     * waits for the worker, when the message stays the cancel's reason (progress would hide it from
     * GetExecution and Search). $6 says the heartbeat carries a message or steps, $7 the steps.
     */
    private static final String HEARTBEAT_VISIBLE = "($6 AND ($7::jsonb IS NOT NULL OR x.status NOT IN ("
            + CANCEL_PENDING + ")))";

    /**
     * Heartbeat: extends the lease; a visible change ({@link #HEARTBEAT_VISIBLE}) also bumps the
     * revision with an event, any other heartbeat writes no event. $4 lease ms, $5 message,
     * $6 message or steps, $7 steps.
     */
    static final String HEARTBEAT_SQL = """
            WITH old AS (
                %1$s FROM executions WHERE id = $1 FOR UPDATE
            ), e AS (
                UPDATE executions x SET
                    lease_expire_time = now() + coalesce($4::bigint, x.lease_duration_ms, 30000) * interval '1 millisecond',
                    message = CASE WHEN x.status IN (%5$s) THEN x.message ELSE coalesce($5, x.message) END,
                    revision = x.revision + CASE WHEN %7$s THEN 1 ELSE 0 END,
                    update_time = CASE WHEN %7$s THEN now() ELSE x.update_time END
                FROM old
                WHERE x.id = old.id AND old.held
                RETURNING %2$s, old.from_status, %7$s AS visible
            ), ev AS (
                INSERT INTO execution_events (execution_id, revision, from_status, to_status, event_time, actor, reason, state)
                SELECT id, revision, from_status, status, update_time, %6$s, 'progress', %3$s FROM e /*mark*/ WHERE visible
            ), %4$s
            SELECT old.held, e.status, e.attempt, e.lease_token, e.lease_expire_time FROM old LEFT JOIN e ON true
            """.formatted(HELD, RETURNING, STATE, stepsCte(7), CANCEL_PENDING, WORKER_ACTOR, HEARTBEAT_VISIBLE);

    /**
     * Ends an attempt: the new status is {@code toStatus} (a CASE built from the table). $4 outputs,
     * $5 message, $6 error, $7 steps, $8 retry delay ms (used when the attempt goes back to the queue).
     */
    private static String finishSql(String toStatus) {
        return """
                WITH old AS (
                    %1$s, %2$s AS to_status FROM executions WHERE id = $1 FOR UPDATE
                ), e AS (
                    UPDATE executions x SET
                        status = old.to_status,
                        revision = x.revision + 1,
                        update_time = now(),
                        queue_time = CASE WHEN old.to_status = %3$s THEN now() ELSE x.queue_time END,
                        scheduled_for = CASE WHEN old.to_status = %3$s
                            THEN now() + $8::bigint * interval '1 millisecond' ELSE x.scheduled_for END,
                        end_time = CASE WHEN old.to_status IN (%4$s) THEN now() ELSE x.end_time END,
                        lease_token = NULL,
                        lease_expire_time = NULL,
                        outputs = coalesce($4::jsonb, x.outputs),
                        message = coalesce($5, x.message),
                        error = coalesce($6, x.error)
                    FROM old
                    WHERE x.id = old.id AND old.held AND old.to_status IS NOT NULL
                    RETURNING %5$s, old.from_status
                ), ev AS (
                    INSERT INTO execution_events (execution_id, revision, from_status, to_status, event_time, actor, reason, state)
                    SELECT id, revision, from_status, status, update_time, %8$s, coalesce($6, ''), %6$s FROM e /*mark*/
                ), %7$s
                SELECT old.held, old.from_status AS current_status, e.* FROM old LEFT JOIN e ON true
                """.formatted(HELD, toStatus, QUEUED, TERMINAL, RETURNING, STATE, stepsCte(7), WORKER_ACTOR);
    }

    /**
     * Complete for a batch: one row per caller ($1 ids, $2 tokens, $3 attempts, $4 outputs, $5 messages,
     * $6 steps, as arrays), each lease checked on its own row, rows locked in id order. One result row
     * per caller, by input_id. See {@link CompleteBatcher}.
     */
    static final String COMPLETE_BATCH_SQL = """
            WITH input AS (
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[])
                    AS i(id, token, attempt, outputs, message, steps)
            ), old AS (
                SELECT x.id, x.status AS from_status,
                    (x.status IN (%1$s) AND x.lease_token = i.token AND x.attempt = i.attempt
                        AND x.lease_expire_time > now()) AS held,
                    %2$s AS to_status, i.outputs, i.message, i.steps
                FROM executions x JOIN input i ON i.id = x.id
                ORDER BY x.id
                FOR UPDATE OF x
            ), e AS (
                UPDATE executions x SET
                    status = old.to_status,
                    revision = x.revision + 1,
                    update_time = now(),
                    end_time = CASE WHEN old.to_status IN (%3$s) THEN now() ELSE x.end_time END,
                    lease_token = NULL,
                    lease_expire_time = NULL,
                    outputs = coalesce(old.outputs::jsonb, x.outputs),
                    message = coalesce(old.message, x.message)
                FROM old
                WHERE x.id = old.id AND old.held AND old.to_status IS NOT NULL
                RETURNING %4$s, old.from_status
            ), ev AS (
                INSERT INTO execution_events (execution_id, revision, from_status, to_status, event_time, actor, reason, state)
                SELECT id, revision, from_status, status, update_time, %6$s, '', %5$s FROM e /*mark*/
            ), st AS (
                INSERT INTO execution_steps (execution_id, name, position, status, start_time, end_time, message, metrics)
                SELECT e.id, s.step->>'name',
                    (SELECT count(*) FROM execution_steps WHERE execution_id = e.id)::int + s.ord::int,
                    s.step->>'status', (s.step->>'start_time')::timestamptz, (s.step->>'end_time')::timestamptz,
                    coalesce(s.step->>'message', ''), s.step->'metrics'
                FROM e JOIN old ON old.id = e.id, jsonb_array_elements(old.steps::jsonb) WITH ORDINALITY AS s(step, ord)
                ON CONFLICT (execution_id, name) DO UPDATE SET
                    status = EXCLUDED.status,
                    start_time = coalesce(EXCLUDED.start_time, execution_steps.start_time),
                    end_time = coalesce(EXCLUDED.end_time, execution_steps.end_time),
                    message = EXCLUDED.message,
                    metrics = coalesce(EXCLUDED.metrics, execution_steps.metrics)
            )
            SELECT i.id AS input_id, old.held, old.from_status AS current_status, e.*
            FROM input i LEFT JOIN old ON old.id = i.id LEFT JOIN e ON e.id = i.id
            """.formatted(LEASED, statusCase("x.status", Action.COMPLETE), TERMINAL, RETURNING, STATE, WORKER_ACTOR);

    /** Fail: a cancelling execution is CANCELLED; a retryable failure with attempts left is RETRY. $9 retryable. */
    static final String FAIL_SQL = finishSql("""
            CASE WHEN status IN (%s) THEN %s
                 WHEN $9 AND attempt < max_attempts THEN %s
                 ELSE %s END""".formatted(Sql.names(Transitions.sources(Action.CONFIRM_CANCEL)),
            statusCase("status", Action.CONFIRM_CANCEL), statusCase("status", Action.RETRY),
            statusCase("status", Action.FAIL)));

    /** The reaper's three ways to be due, each the range of an index (V7). $1 is the cancel grace in ms. */
    private static final String LEASE_EXPIRED = "lease_expire_time < now()";
    private static final String CANCEL_GRACE_PASSED =
            "status = 'CANCELLING' AND cancel_time < now() - $1::bigint * interval '1 millisecond'";
    private static final String MAX_RUNTIME_PASSED = "status = 'RUNNING' AND max_runtime_ms IS NOT NULL"
            + " AND runtime_deadline(start_time, max_runtime_ms) < now()";

    /**
     * The reaper: every leased execution that is due, in one statement. Each way to be due is a range
     * of its own index (V7), so a pass reads the due rows, not every running one. Rows that another
     * replica's reaper (or a worker's call) holds are skipped. $1 cancel grace ms, $2 retry base ms,
     * $3 retry max ms, $4 rows at most.
     */
    static final String REAP_SQL = """
            WITH due AS (
                (SELECT id FROM executions WHERE status IN (%5$s) AND %10$s ORDER BY lease_expire_time LIMIT $4)
                UNION
                (SELECT id FROM executions WHERE %11$s ORDER BY cancel_time LIMIT $4)
                UNION
                (SELECT id FROM executions WHERE %12$s ORDER BY runtime_deadline(start_time, max_runtime_ms) LIMIT $4)
            ), old AS (
                SELECT id, status AS from_status,
                    CASE
                        WHEN status = 'CANCELLING' THEN %1$s
                        WHEN %12$s THEN %2$s
                        WHEN attempt < max_attempts THEN %3$s
                        ELSE %4$s
                    END AS to_status,
                    CASE
                        WHEN status = 'CANCELLING' THEN 'cancel grace period passed'
                        WHEN %12$s THEN 'max runtime passed'
                        WHEN attempt < max_attempts THEN 'lease expired: queued for another attempt'
                        ELSE 'lease expired and no attempts left'
                    END AS reason,
                    least($2::bigint * power(2, greatest(attempt - 1, 0)), $3::bigint)::bigint AS retry_delay_ms
                FROM executions
                WHERE id IN (SELECT id FROM due)
                  /* again, on the locked row: a worker or a Cancel may have changed it since */
                  AND status IN (%5$s)
                  AND (%10$s OR (%11$s) OR (%12$s))
                LIMIT $4
                FOR UPDATE SKIP LOCKED
            ), e AS (
                UPDATE executions x SET
                    status = old.to_status,
                    revision = x.revision + 1,
                    update_time = now(),
                    queue_time = CASE WHEN old.to_status = %6$s THEN now() ELSE x.queue_time END,
                    scheduled_for = CASE WHEN old.to_status = %6$s
                        THEN now() + old.retry_delay_ms * interval '1 millisecond' ELSE x.scheduled_for END,
                    end_time = CASE WHEN old.to_status IN (%7$s) THEN now() ELSE x.end_time END,
                    error = CASE WHEN old.to_status = %6$s THEN x.error ELSE old.reason END,
                    lease_token = NULL,
                    lease_expire_time = NULL
                FROM old
                WHERE x.id = old.id AND old.to_status IS NOT NULL
                RETURNING %8$s, old.from_status, old.reason
            ), ev AS (
                INSERT INTO execution_events (execution_id, revision, from_status, to_status, event_time, actor, reason, state)
                SELECT id, revision, from_status, status, update_time, '%13$s', reason, %9$s FROM e /*mark*/
            )
            SELECT count(*) AS changed, count(*) FILTER (WHERE status = %6$s) AS requeued FROM e
            """.formatted(statusCase("status", Action.CONFIRM_CANCEL), statusCase("status", Action.TIME_OUT),
            statusCase("status", Action.RETRY), statusCase("status", Action.FAIL), LEASED, QUEUED, TERMINAL,
            RETURNING, STATE, LEASE_EXPIRED, CANCEL_GRACE_PASSED, MAX_RUNTIME_PASSED, Actors.REAPER);

    private final ConnectionFactory connections;
    /** For the reaper's sweep, whose plan depends on its values ({@link Database#customPlans}). */
    private final ConnectionFactory customPlans;
    private final CoalescingNotifier notifier;
    private final QueuedSignals signals;
    private final CompleteBatcher completes;
    private final String claimSql;
    private final String heartbeatSql;
    private final String failSql;
    private final String reapSql;

    /**
     * A store whose commits are announced by the database trigger, one NOTIFY per statement, and
     * wake no pollers in-process.
     */
    public PostgresWorkerStore(ConnectionFactory connections) {
        this(connections, connections, null, null);
    }

    /**
     * A store whose commits are announced by {@code notifier}, coalesced, and whose requeues tell
     * {@code signals}, as {@link PostgresExecutionStore}'s (either may be null).
     * {@code customPlans}: connections that plan each statement for its values ({@link Database#customPlans}).
     */
    public PostgresWorkerStore(ConnectionFactory connections, ConnectionFactory customPlans,
                               CoalescingNotifier notifier, WorkSignals signals) {
        this.connections = connections;
        this.customPlans = customPlans;
        this.notifier = notifier;
        this.signals = QueuedSignals.of(signals);
        this.claimSql = CoalescingNotifier.marked(CLAIM_SQL, notifier);
        this.heartbeatSql = CoalescingNotifier.marked(HEARTBEAT_SQL, notifier);
        this.failSql = CoalescingNotifier.marked(FAIL_SQL, notifier);
        this.reapSql = CoalescingNotifier.marked(REAP_SQL, notifier);
        this.completes = new CompleteBatcher(connections, CoalescingNotifier.marked(COMPLETE_BATCH_SQL, notifier));
    }

    /** After a statement that wrote events has committed. */
    private void announce() {
        if (notifier != null) {
            notifier.committed();
        }
    }

    @Override
    public Mono<List<Assignment>> claim(ClaimRequest request) {
        // No look before the claim: an empty claim writes nothing and, since V4, announces nothing.
        String[] pipelines = request.pipelines().toArray(new String[0]);
        return withConnection(connection -> claim(connection, request, pipelines));
    }

    private Mono<List<Assignment>> claim(Connection connection, ClaimRequest request, String[] pipelines) {
        Statement statement = connection.createStatement(claimSql)
                .bind(0, request.workerId())
                .bind(1, pipelines)
                .bind(2, request.maxExecutions())
                .bind(3, request.leaseDuration().toMillis());
        return Flux.from(statement.execute())
                .flatMap(result -> result.map((row, meta) -> assignment(row)))
                .collectList()
                .doOnNext(claimed -> {
                    if (!claimed.isEmpty()) {
                        announce();
                    }
                });
    }

    @Override
    public Mono<HeartbeatOutcome> heartbeat(WorkerReport report) {
        boolean changed = report.message() != null || !report.steps().isEmpty();
        return withConnection(connection -> {
            Statement statement = leaseStatement(connection, heartbeatSql, report.lease());
            new Binder(statement)
                    .value(3, report.leaseDuration() == null ? null : report.leaseDuration().toMillis(), Long.class)
                    .value(4, report.message(), String.class)
                    .value(5, changed, Boolean.class)
                    .value(6, stepsJson(report.steps()), String.class);
            return Mono.from(statement.execute())
                    .flatMap(result -> Mono.from(result.map((row, meta) -> {
                        requireHeld(row, report.lease());
                        Lease lease = new Lease(report.lease().executionId(), row.get("attempt", Integer.class),
                                row.get("lease_token", String.class), row.get("lease_expire_time", java.time.Instant.class));
                        boolean cancel = ExecutionState.CANCELLING.name().equals(row.get("status", String.class));
                        return new HeartbeatOutcome(lease, cancel);
                    })))
                    .doOnNext(outcome -> {
                        if (changed) {
                            announce();
                        }
                    })
                    .switchIfEmpty(Mono.error(() -> NotFoundException.execution(report.lease().executionId())));
        });
    }

    @Override
    public List<Mono<Execution>> completeAll(List<WorkerReport> reports) {
        return completes.completeAll(reports).stream()
                .map(answer -> answer.doOnNext(execution -> announce()))
                .toList();
    }

    /** When the attempt goes back to the queue, this replica's waiting pollers are told. */
    @Override
    public Mono<Execution> fail(WorkerReport report, WorkerSettings settings) {
        long delay = report.retryDelay() != null ? report.retryDelay().toMillis()
                : backoff(report.lease().attempt(), settings).toMillis();
        return finish(failSql, report, Action.FAIL, delay, report.retryable()).doOnNext(signals::committed);
    }

    /** The delay before attempt n+1: base × 2^(n-1), at most the maximum. */
    static Duration backoff(int attempt, WorkerSettings settings) {
        long base = settings.retryBaseDelay().toMillis();
        long delay = base << Math.min(Math.max(attempt - 1, 0), 30);
        return Duration.ofMillis(Math.min(delay < 0 ? Long.MAX_VALUE : delay, settings.retryMaxDelay().toMillis()));
    }

    private Mono<Execution> finish(String sql, WorkerReport report, Action action, long retryDelayMs,
                                   boolean retryable) {
        return withConnection(connection -> {
            Statement statement = leaseStatement(connection, sql, report.lease());
            Binder bind = new Binder(statement)
                    .value(3, report.outputsJson(), String.class)
                    .value(4, report.message(), String.class)
                    .value(5, report.error(), String.class)
                    .value(6, stepsJson(report.steps()), String.class)
                    .value(7, retryDelayMs, Long.class);
            bind.value(8, retryable, Boolean.class);
            return Mono.from(statement.execute())
                    .flatMap(result -> Mono.from(result.map((row, meta) -> {
                        requireHeld(row, report.lease());
                        if (row.get("id", UUID.class) == null) {
                            throw new TransitionRefusedException(
                                    ExecutionState.valueOf(row.get("current_status", String.class)), action);
                        }
                        return ExecutionReader.execution(new RowColumns(row));
                    })))
                    .doOnNext(execution -> announce())
                    .switchIfEmpty(Mono.error(() -> NotFoundException.execution(report.lease().executionId())));
        });
    }

    @Override
    public Mono<ReapResult> reap(WorkerSettings settings, int limit) {
        return withConnection(customPlans, connection -> Mono.from(connection.createStatement(reapSql)
                        .bind(0, settings.cancelGrace().toMillis())
                        .bind(1, settings.retryBaseDelay().toMillis())
                        .bind(2, settings.retryMaxDelay().toMillis())
                        .bind(3, limit)
                        .execute())
                .flatMap(result -> Mono.from(result.map((row, meta) -> new ReapResult(
                        row.get("changed", Long.class).intValue(), row.get("requeued", Long.class).intValue())))))
                .doOnNext(result -> {
                    if (result.changed() > 0) {
                        announce();
                    }
                    if (result.requeued() > 0) {
                        signals.queuedUnknown(); // the sweep counts its requeues but does not name their pipelines
                    }
                });
    }

    private static Statement leaseStatement(Connection connection, String sql, Lease lease) {
        return connection.createStatement(sql)
                .bind(0, lease.executionId())
                .bind(1, lease.token())
                .bind(2, lease.attempt());
    }

    private static void requireHeld(Row row, Lease lease) {
        if (!Boolean.TRUE.equals(row.get("held", Boolean.class))) {
            throw new LeaseLostException(lease.executionId());
        }
    }

    private static Assignment assignment(Row row) {
        Execution execution = ExecutionReader.execution(new RowColumns(row));
        Lease lease = new Lease(execution.id(), execution.attempt(), row.get("lease_token", String.class),
                row.get("lease_expire_time", java.time.Instant.class));
        return new Assignment(execution, lease);
    }

    /** Steps as the JSON array the steps CTE reads; null when there are none. */
    static String stepsJson(List<Step> steps) {
        if (steps == null || steps.isEmpty()) {
            return null;
        }
        JsonArray array = new JsonArray();
        for (Step step : steps) {
            JsonObject o = new JsonObject();
            o.addProperty("name", step.name());
            o.addProperty("status", step.status().name());
            if (step.startTime() != null) {
                o.addProperty("start_time", step.startTime().toString());
            }
            if (step.endTime() != null) {
                o.addProperty("end_time", step.endTime().toString());
            }
            o.addProperty("message", step.message() == null ? "" : step.message());
            if (step.metricsJson() != null) {
                o.add("metrics", JsonParser.parseString(step.metricsJson()));
            }
            array.add(o);
        }
        return array.toString();
    }

    /** {@code CASE <column> WHEN from THEN to ... END} over the action's edges in the table. */
    static String statusCase(String column, Action action) {
        return Transitions.edges(action).entrySet().stream()
                .map(edge -> "WHEN '" + edge.getKey().name() + "' THEN '" + edge.getValue().name() + "'")
                .collect(Collectors.joining(" ", "CASE " + column + " ", " END"));
    }

    private <T> Mono<T> withConnection(Function<Connection, Mono<T>> work) {
        return withConnection(connections, work);
    }

    private static <T> Mono<T> withConnection(ConnectionFactory from, Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(from.create(), work, Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }
}
