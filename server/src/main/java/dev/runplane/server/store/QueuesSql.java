package dev.runplane.server.store;

/**
 * The statements of queue and worker visibility (V13): ListQueues, an execution's queue position,
 * ListWorkers, and the workers table's writes. The queued parts read only the claim index
 * (executions_queue, which since V13 carries scheduled_for), the leased parts only the leased rows
 * (executions_running holds their pipeline): neither reads the history (QueuesPlanTest).
 * "Claimable" is the claim's own condition (ExecutionLeasesSql.CLAIM): QUEUED and scheduled_for
 * reached; its order is priority DESC, queue_time, id.
 */
final class QueuesSql {

    private static final String QUEUED = Sql.QUEUED;

    private static final String LEASED = Sql.LEASED;

    /** The pipeline filter of the lists: $1, an array; absent when every pipeline is asked for. */
    private static final String ONLY = " AND %s = ANY($1::text[])";

    /**
     * One row per pipeline with queued or leased executions or a worker seen within $2 ms (or
     * $1 ms without the filter), by name. Each part aggregates one partial index's rows: the queued
     * ones (count, scheduled for later, oldest queue time), the leased ones, the recent workers'
     * pipelines.
     */
    static String queues(boolean filtered) {
        String only = filtered ? ONLY : "";
        String window = filtered ? "$2" : "$1";
        return """
                WITH queued AS (
                    SELECT pipeline, count(*) AS queued_count,
                        count(*) FILTER (WHERE scheduled_for > now()) AS scheduled_count,
                        min(queue_time) AS oldest_queue_time
                    FROM executions WHERE status = %1$s%2$s
                    GROUP BY pipeline
                ), leased AS (
                    SELECT pipeline, count(*) AS running_count
                    FROM executions WHERE status IN (%3$s)%2$s
                    GROUP BY pipeline
                ), polled AS (
                    SELECT p.pipeline, count(*) AS worker_count
                    FROM workers w CROSS JOIN LATERAL unnest(w.pipelines) AS p(pipeline)
                    WHERE w.last_seen_time > now() - %4$s::bigint * interval '1 millisecond'%5$s
                    GROUP BY p.pipeline
                )
                SELECT pipeline, coalesce(queued_count, 0) AS queued_count,
                    coalesce(scheduled_count, 0) AS scheduled_count, oldest_queue_time,
                    coalesce(running_count, 0) AS running_count, coalesce(worker_count, 0) AS worker_count
                FROM queued FULL JOIN leased USING (pipeline) FULL JOIN polled USING (pipeline)
                ORDER BY pipeline
                """.formatted(QUEUED, only.formatted("pipeline"), LEASED, window, only.formatted("p.pipeline"));
    }

    /**
     * The queue position of a QUEUED execution from its values: $1 pipeline, $2 priority, $3 queue
     * time, $4 id, $5 scheduled_for. 0 while it is scheduled for later; otherwise 1 + the claimable
     * rows before it in the claim order, counted as two ranges of the claim index (a higher
     * priority; the same priority and an earlier (queue_time, id)), each an index-only scan that
     * reads the entries before it and no others: its cost grows with the position, not the queue.
     */
    static final String POSITION = """
            SELECT CASE WHEN $5::timestamptz > now() THEN 0 ELSE 1
                + (SELECT count(*) FROM executions
                   WHERE status = %1$s AND pipeline = $1 AND priority > $2 AND scheduled_for <= now())
                + (SELECT count(*) FROM executions
                   WHERE status = %1$s AND pipeline = $1 AND priority = $2 AND (queue_time, id) < ($3::timestamptz, $4::uuid)
                     AND scheduled_for <= now())
            END AS position
            """.formatted(QUEUED);

    /**
     * The workers seen within $1 ms (or, filtered, $2 ms), by id, with their leased executions
     * counted from the leased rows (executions_running): with the filter, only workers that poll one
     * of its pipelines, shown with those pipelines only and their leased executions of those.
     */
    static String workers(boolean filtered) {
        String window = filtered ? "$2" : "$1";
        String pipelines = filtered ? "ARRAY(SELECT p FROM unnest(w.pipelines) AS p WHERE p = ANY($1::text[]) ORDER BY p)"
                : "w.pipelines";
        return """
                WITH seen AS (
                    SELECT w.worker_id, %1$s AS pipelines, w.key_id, w.last_seen_time
                    FROM workers w
                    WHERE w.last_seen_time > now() - %2$s::bigint * interval '1 millisecond'%3$s
                ), held AS (
                    SELECT worker_id, count(*) AS running_count
                    FROM executions WHERE status IN (%4$s) AND worker_id IN (SELECT worker_id FROM seen)%5$s
                    GROUP BY worker_id
                )
                SELECT seen.*, coalesce(held.running_count, 0) AS running_count
                FROM seen LEFT JOIN held USING (worker_id)
                ORDER BY worker_id
                """.formatted(pipelines, window, filtered ? " AND w.pipelines && $1::text[]" : "", LEASED,
                filtered ? ONLY.formatted("pipeline") : "");
    }

    /**
     * Records a sighting: $1 worker id, $2 pipelines (NULL keeps the stored ones: a call that names
     * none), $3 key id; the time is the database's.
     */
    static final String RECORD_WORKER = """
            INSERT INTO workers (worker_id, pipelines, key_id, last_seen_time)
            VALUES ($1, coalesce($2::text[], '{}'), $3, now())
            ON CONFLICT (worker_id) DO UPDATE SET pipelines = coalesce($2::text[], workers.pipelines),
                key_id = excluded.key_id, last_seen_time = excluded.last_seen_time
            """;

    /**
     * Deletes at most $2 workers unseen for $1 ms, oldest first through workers_last_seen; rows that
     * another replica is deleting or writing are skipped.
     */
    static final String FORGET_WORKERS = """
            DELETE FROM workers WHERE worker_id IN (
                SELECT worker_id FROM workers
                WHERE last_seen_time < now() - $1::bigint * interval '1 millisecond'
                ORDER BY last_seen_time LIMIT $2
                FOR UPDATE SKIP LOCKED)
            """;

    private QueuesSql() {
    }
}
