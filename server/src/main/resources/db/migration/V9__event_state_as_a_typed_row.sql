-- Runplane schema, version 9: an event's copy of its execution is a typed row, not jsonb.
--
-- Every event row carries the execution as of the change (docs/events.md). As jsonb each value was
-- converted to JSON and back (a timestamp printed as 32 characters, a uuid as 36), and each of the
-- 26 elements had a header of its own: measured on a running execution, 1.8 us to build and 350
-- bytes; as this composite type, 0.2 us and 136 bytes. The event log is the largest table and its
-- rows were the largest share of the WAL (WorkerBenchmark's stats, docs/benchmarks.md).
--
-- The attributes are the columns of executions that the event row does not hold itself (id,
-- status, revision and update_time are its execution_id, to_status, revision and event_time),
-- without inputs, outputs and the lease token; in the order of ExecutionReader.STATE_COLUMNS, which
-- SnapshotFormatTest checks against this type. Rows written before keep their jsonb snapshot
-- (nothing is rewritten at upgrade) and are still read; a new row has exactly one of the two.
CREATE TYPE execution_state AS (
    pipeline            text,
    mode                text,
    priority            integer,
    labels              jsonb,
    message             text,
    error               text,
    trigger_kind        text,
    trigger_actor       text,
    trigger_variables   jsonb,
    parent_id           uuid,
    rerun_of            uuid,
    duplicate_of        uuid,
    request_id          text,
    request_fingerprint text,
    dedup_key           text,
    attempt             integer,
    max_attempts        integer,
    max_runtime_ms      bigint,
    scheduled_for       timestamptz,
    create_time         timestamptz,
    queue_time          timestamptz,
    start_time          timestamptz,
    end_time            timestamptz,
    worker_id           text,
    lease_expire_time   timestamptz,
    cancel_time         timestamptz
);

ALTER TABLE execution_events
    ADD COLUMN state execution_state,
    ALTER COLUMN snapshot DROP NOT NULL,
    -- num_nonnulls, not IS NOT NULL: a row value IS NOT NULL only when every attribute is.
    ADD CONSTRAINT execution_events_state_or_snapshot CHECK (num_nonnulls(state, snapshot) = 1) NOT VALID;
