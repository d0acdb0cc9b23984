-- Runplane schema, version 7: the reaper reads only the executions that are due.
--
-- Its one condition (lease expired, OR cancel grace passed, OR max runtime passed) matched no index
-- range, so every pass on every replica read every running execution, or the whole table: measured
-- with 50,000 running executions and none due, a sequential scan of 1,250 pages, 17 ms, once a
-- second per replica, and growing with the table. Now each condition is a range of its own index
-- (the lease one existed), and a pass reads the due rows and a few index pages.

-- When an attempt's max runtime runs out. Immutable in truth (an interval of milliseconds only, no
-- days or months, so no time zone is involved), which lets an index hold it; timestamptz + interval
-- in general is only stable.
CREATE FUNCTION runtime_deadline(start_time timestamptz, max_runtime_ms bigint) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT start_time + max_runtime_ms * interval '1 millisecond' $$;

CREATE INDEX executions_runtime_deadlines ON executions (runtime_deadline(start_time, max_runtime_ms))
    WHERE status = 'RUNNING' AND max_runtime_ms IS NOT NULL;
CREATE INDEX executions_cancelling ON executions (cancel_time) WHERE status = 'CANCELLING';
