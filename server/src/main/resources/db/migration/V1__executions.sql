-- Runplane schema, version 1: executions, their steps, and the append-only event log.
-- Statuses and modes are stored as their names (readable in psql, checked below).

CREATE TABLE executions (
    id                uuid        PRIMARY KEY,
    pipeline          text        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'CANCELLING', 'SUCCEEDED',
                                                             'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED')),
    mode              text        NOT NULL CHECK (mode IN ('PRODUCTION', 'EXPERIMENT')),
    priority          integer     NOT NULL DEFAULT 0,
    labels            jsonb       NOT NULL DEFAULT '{}',
    inputs            jsonb       NOT NULL DEFAULT '{}',
    outputs           jsonb,
    message           text        NOT NULL DEFAULT '',
    error             text        NOT NULL DEFAULT '',
    trigger_kind      text        NOT NULL DEFAULT 'API',
    trigger_actor     text        NOT NULL DEFAULT '',
    trigger_variables jsonb,
    parent_id         uuid        REFERENCES executions (id),
    rerun_of          uuid        REFERENCES executions (id),
    duplicate_of      uuid        REFERENCES executions (id),
    request_id        text,
    request_fingerprint text,
    dedup_key         text,
    attempt           integer     NOT NULL DEFAULT 0,
    max_attempts      integer     NOT NULL DEFAULT 1,
    max_runtime_ms    bigint,
    scheduled_for     timestamptz NOT NULL,
    create_time       timestamptz NOT NULL,
    queue_time        timestamptz,
    start_time        timestamptz,
    end_time          timestamptz,
    update_time       timestamptz NOT NULL,
    worker_id         text,
    lease_token       text,
    lease_expire_time timestamptz,
    cancel_time       timestamptz,
    revision          bigint      NOT NULL,
    -- Free text over pipeline, message, error and label values ('simple': no stemming, no stop words,
    -- so names and ids match literally).
    search_text       tsvector    GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, pipeline || ' ' || message || ' ' || error)
            || jsonb_to_tsvector('simple'::regconfig, labels, '["string"]')
    ) STORED
);

-- The claim order, whole: a claim walks this index instead of sorting the queue (see docs/design.md).
CREATE INDEX executions_queue ON executions (pipeline, priority DESC, queue_time, id) WHERE status = 'QUEUED';
-- The reaper's scans: expired leases and cancels past their grace period.
CREATE INDEX executions_leases ON executions (lease_expire_time) WHERE status IN ('RUNNING', 'CANCELLING');
-- Idempotency: one execution per request id.
CREATE UNIQUE INDEX executions_request_id ON executions (request_id) WHERE request_id IS NOT NULL;
-- Dedup: at most one active execution per dedup key; racing Runs collide here.
CREATE UNIQUE INDEX executions_active_dedup ON executions (dedup_key)
    WHERE dedup_key IS NOT NULL AND status IN ('QUEUED', 'RUNNING', 'CANCELLING');
-- Search: newest first overall and per pipeline, plus labels and free text.
CREATE INDEX executions_create_time ON executions (create_time DESC, id DESC);
CREATE INDEX executions_pipeline_create_time ON executions (pipeline, create_time DESC, id DESC);
CREATE INDEX executions_labels ON executions USING gin (labels jsonb_path_ops);
CREATE INDEX executions_search_text ON executions USING gin (search_text);
CREATE INDEX executions_parent ON executions (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE execution_steps (
    execution_id uuid        NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    position     integer     NOT NULL,
    status       text        NOT NULL,
    start_time   timestamptz,
    end_time     timestamptz,
    message      text        NOT NULL DEFAULT '',
    metrics      jsonb,
    PRIMARY KEY (execution_id, name)
);

-- Append-only history. sequence is the global order of inserts; xid is the writing transaction, so
-- readers can follow the log by (xid, sequence) and never skip a row whose transaction commits late.
CREATE TABLE execution_events (
    sequence     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid          xid8        NOT NULL DEFAULT pg_current_xact_id(),
    execution_id uuid        NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    revision     bigint      NOT NULL,
    from_status  text,
    to_status    text        NOT NULL,
    event_time   timestamptz NOT NULL,
    actor        text        NOT NULL DEFAULT '',
    reason       text        NOT NULL DEFAULT '',
    -- The execution row as of this event, without inputs, outputs and the search vector.
    snapshot     jsonb       NOT NULL,
    UNIQUE (execution_id, revision)
);

CREATE INDEX execution_events_position ON execution_events (xid, sequence);

-- Wake listeners once per statement that appends events (a batch is one wake-up, not one per row).
-- The payload is empty: a notification is only a hint to read the log, never the data itself.
CREATE FUNCTION runplane_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('runplane_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER execution_events_notify AFTER INSERT ON execution_events
    FOR EACH STATEMENT EXECUTE FUNCTION runplane_notify_events();
