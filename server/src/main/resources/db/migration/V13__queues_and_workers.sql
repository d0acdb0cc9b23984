-- Runplane schema, version 13: queue visibility (ListQueues, queue_position) and the workers table
-- (ListWorkers). See docs/workers.md.

-- The claim index again, with scheduled_for carried in each entry (INCLUDE: not a key column, so the
-- claim's order and plan are the same). ListQueues' queued counts (how many are scheduled for later)
-- and an execution's queue_position (how many claimable rows the claim order puts before it) then
-- read only this index, an index-only scan of the queued rows, never the table. Only queued
-- versions have entries, as before; each is 8 bytes longer.
CREATE INDEX executions_queue_v13 ON executions (pipeline, priority DESC, queue_time, id) INCLUDE (scheduled_for)
    WHERE status = 'QUEUED';
DROP INDEX executions_queue;
ALTER INDEX executions_queue_v13 RENAME TO executions_queue;

-- The workers seen by any replica, so that every replica's ListWorkers shows all of them. A replica
-- writes a worker's row at most once per few seconds (and at once when its pipelines or key change),
-- never once per Poll (core/SeenWorkers); rows unseen for a day are deleted, a bounded batch at a time.
CREATE TABLE workers (
    worker_id      text        PRIMARY KEY,
    -- The pipelines of its last Poll (empty until a Poll reached a replica that records it).
    pipelines      text[]      NOT NULL DEFAULT '{}',
    -- The id of the API key it called with; '' without keys.
    key_id         text        NOT NULL DEFAULT '',
    last_seen_time timestamptz NOT NULL
);

-- ListWorkers' window and the deletion of stale rows are both ranges of this.
CREATE INDEX workers_last_seen ON workers (last_seen_time);
