package dev.runplane.server.store;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.Actors;
import dev.runplane.server.core.Transitions;

/**
 * The statements of the {@code executions} table that workers and the reaper cause (V1, V4, V7): the
 * claim, which starts an attempt with a lease, and the Heartbeat, Complete, Fail and reaper
 * statements, which check and end it. Each is ONE statement with its event rows (and step rows):
 * the lease is checked in the same statement that uses it, under the row lock, so a stale worker can
 * never change anything; every status written comes from {@link Transitions} ({@link Sql#statusCase}).
 * Statements of the main pool must keep their keyed generic plans (KeyedPlansTest; docs/design.md
 * "Database connections and plans").
 */
final class ExecutionLeasesSql {

    private static final String RETURNING = ExecutionsSql.RETURNING;

    private static final String LEASED = Sql.LEASED;

    private static final String TERMINAL = Sql.TERMINAL;

    private static final String QUEUED = Sql.QUEUED;

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
    static final String CLAIM = """
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
            ), %4$s
            SELECT * FROM e ORDER BY priority DESC, queue_time, id
            """.formatted(Sql.names(Transitions.sources(Action.CLAIM)), Sql.statusCase("x.status", Action.CLAIM),
            RETURNING, ExecutionEventsSql.insert("e JOIN picked ON picked.id = e.id", "picked.from_status",
                    "'" + Actors.WORKER_PREFIX + "' || $1", "''"));

    /** Locks the execution and says whether the caller's lease still holds it. Parameters $1-$3. */
    private static final String HELD = """
            SELECT id, status AS from_status,
                (status IN (%s) AND lease_token = $2 AND attempt = $3 AND lease_expire_time > now()) AS held
            """.formatted(LEASED);

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
    static final String HEARTBEAT = """
            WITH old AS (
                %1$s FROM executions WHERE id = $1 FOR UPDATE
            ), e AS (
                UPDATE executions x SET
                    lease_expire_time = now() + coalesce($4::bigint, x.lease_duration_ms, 30000) * interval '1 millisecond',
                    message = CASE WHEN x.status IN (%5$s) THEN x.message ELSE coalesce($5, x.message) END,
                    revision = x.revision + CASE WHEN %6$s THEN 1 ELSE 0 END,
                    update_time = CASE WHEN %6$s THEN now() ELSE x.update_time END
                FROM old
                WHERE x.id = old.id AND old.held
                RETURNING %2$s, old.from_status, %6$s AS visible
            ), %3$s, %4$s
            SELECT old.held, e.status, e.attempt, e.lease_token, e.lease_expire_time, e.worker_id FROM old LEFT JOIN e ON true
            """.formatted(HELD, RETURNING, ExecutionEventsSql.insert("e", "e.from_status", WORKER_ACTOR, "'progress'",
            "visible"), ExecutionStepsSql.upsert("e", "$7::jsonb"), CANCEL_PENDING, HEARTBEAT_VISIBLE);

    /**
     * Ends an attempt: the new status is {@code toStatus} (a CASE built from the table). $4 outputs,
     * $5 message, $6 error, $7 steps, $8 retry delay ms (used when the attempt goes back to the queue).
     */
    private static String finish(String toStatus) {
        return """
                WITH old AS (
                    %1$s, %2$s AS to_status FROM executions WHERE id = $1 FOR UPDATE
                ), e AS (
                    UPDATE executions x SET
                        %3$s,
                        outputs = coalesce($4::jsonb, x.outputs),
                        message = coalesce($5, x.message),
                        error = coalesce($6, x.error)
                    FROM old
                    WHERE x.id = old.id AND old.held AND old.to_status IS NOT NULL
                    RETURNING %4$s, old.from_status
                ), %5$s, %6$s
                SELECT old.held, old.from_status AS current_status, e.* FROM old LEFT JOIN e ON true
                """.formatted(HELD, toStatus, attemptEnds("$8::bigint"), RETURNING,
                ExecutionEventsSql.insert("e", "e.from_status", WORKER_ACTOR, "coalesce($6, '')"),
                ExecutionStepsSql.upsert("e", "$7::jsonb"));
    }

    /**
     * Complete for a batch: one row per caller ($1 ids, $2 tokens, $3 attempts, $4 outputs, $5 messages,
     * $6 steps, as arrays), each lease checked on its own row, rows locked in id order. One result row
     * per caller, by input_id. See {@link CompleteBatcher}.
     */
    static final String COMPLETE_BATCH = """
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
            ), %5$s, %6$s
            SELECT i.id AS input_id, old.held, old.from_status AS current_status, e.*
            FROM input i LEFT JOIN old ON old.id = i.id LEFT JOIN e ON e.id = i.id
            """.formatted(LEASED, Sql.statusCase("x.status", Action.COMPLETE), TERMINAL, RETURNING,
            ExecutionEventsSql.insert("e", "e.from_status", WORKER_ACTOR, "''"),
            ExecutionStepsSql.upsert("e JOIN old ON old.id = e.id", "old.steps::jsonb"));

    /** Fail: a cancelling execution is CANCELLED; a retryable failure with attempts left is RETRY. $9 retryable. */
    static final String FAIL = finish("""
            CASE WHEN status IN (%s) THEN %s
                 WHEN $9 AND attempt < max_attempts THEN %s
                 ELSE %s END""".formatted(Sql.names(Transitions.sources(Action.CONFIRM_CANCEL)),
            Sql.statusCase("status", Action.CONFIRM_CANCEL), Sql.statusCase("status", Action.RETRY),
            Sql.statusCase("status", Action.FAIL)));

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
    static final String REAP = """
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
                    %7$s,
                    error = CASE WHEN old.to_status = %6$s THEN x.error ELSE old.reason END
                FROM old
                WHERE x.id = old.id AND old.to_status IS NOT NULL
                RETURNING %8$s, old.from_status, old.reason
            ), %9$s
            SELECT count(*) AS changed, count(*) FILTER (WHERE status = %6$s) AS requeued FROM e
            """.formatted(Sql.statusCase("status", Action.CONFIRM_CANCEL), Sql.statusCase("status", Action.TIME_OUT),
            Sql.statusCase("status", Action.RETRY), Sql.statusCase("status", Action.FAIL), LEASED, QUEUED, attemptEnds("old.retry_delay_ms"),
            RETURNING, ExecutionEventsSql.insert("e", "e.from_status", "'" + Actors.REAPER + "'", "e.reason"),
            LEASE_EXPIRED, CANCEL_GRACE_PASSED, MAX_RUNTIME_PASSED);

    /**
     * The SET of an attempt's end, from {@code old.to_status}: the new status and revision; queued
     * again {@code retryDelayMs} later when it goes back to the queue, ended when terminal; the lease
     * let go. Fail, Complete and the reaper end attempts alike.
     */
    private static String attemptEnds(String retryDelayMs) {
        return """
                status = old.to_status,
                revision = x.revision + 1,
                update_time = now(),
                queue_time = CASE WHEN old.to_status = %1$s THEN now() ELSE x.queue_time END,
                scheduled_for = CASE WHEN old.to_status = %1$s
                    THEN now() + %3$s * interval '1 millisecond' ELSE x.scheduled_for END,
                end_time = CASE WHEN old.to_status IN (%2$s) THEN now() ELSE x.end_time END,
                lease_token = NULL,
                lease_expire_time = NULL""".formatted(QUEUED, TERMINAL, retryDelayMs);
    }

    private ExecutionLeasesSql() {
    }
}
