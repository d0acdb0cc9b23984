-- Workers: how long a claim's lease lasts, so that a heartbeat without a duration extends it by as much.
ALTER TABLE executions ADD COLUMN lease_duration_ms bigint;

-- V1's statement trigger NOTIFYs for every INSERT statement on execution_events, even one that
-- inserted no row (an empty claim, a refused transition). Waiting pollers wake on each notification
-- and their empty claims notified again: a wake-up storm that cut throughput with many workers.
-- Notify only when the statement added rows. Done only if the trigger and its function are still
-- exactly V1's, so that a later change by the event hub is never overridden.
CREATE FUNCTION runplane_notify_added_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM added) THEN
        PERFORM pg_notify('runplane_events', '');
    END IF;
    RETURN NULL;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
               WHERE t.tgname = 'execution_events_notify' AND t.tgrelid = 'execution_events'::regclass
                 AND p.proname = 'runplane_notify_events'
                 AND p.prosrc LIKE '%pg_notify(''runplane_events'', '''')%'
                 AND p.prosrc NOT LIKE '%IF%') THEN
        DROP TRIGGER execution_events_notify ON execution_events;
        CREATE TRIGGER execution_events_notify AFTER INSERT ON execution_events
            REFERENCING NEW TABLE AS added
            FOR EACH STATEMENT EXECUTE FUNCTION runplane_notify_added_events();
    END IF;
END
$$;
