-- Runplane schema, version 2: what Search needs beyond version 1's indexes (see docs/search.md).

-- "Pipeline + status, newest first" (failed runs of one pipeline this week) reads exactly its rows.
CREATE INDEX executions_pipeline_status_create_time ON executions (pipeline, status, create_time DESC, id DESC);
-- order_by start_time / end_time (NULL, not started or not ended, sorts as largest: PostgreSQL's
-- default, so each index serves both directions) and time-range filters on them.
CREATE INDEX executions_start_time ON executions (start_time DESC, id DESC);
CREATE INDEX executions_end_time ON executions (end_time DESC, id DESC);

-- The key that signs page tokens (HMAC), shared by every replica on this database, so a token
-- stays valid across restarts and load balancing. 32 bytes from two random UUIDs (244 random bits).
CREATE TABLE page_token_keys (
    id  integer PRIMARY KEY CHECK (id = 1),
    key bytea   NOT NULL
);
INSERT INTO page_token_keys (id, key)
VALUES (1, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
