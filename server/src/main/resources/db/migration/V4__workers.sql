-- Workers: how long a claim's lease lasts, so that a heartbeat without a duration extends it by as much.
ALTER TABLE executions ADD COLUMN lease_duration_ms bigint;

-- The events trigger, final form: a statement that appended no event row (an empty claim, a refused
-- transition) announces nothing, or waiting pollers would wake for nothing and their empty claims
-- announce again (a wake-up storm measured with many workers); and the server's own statements,
-- marked 'coalesced' (V3), leave the announcing to its CoalescingNotifier.
CREATE OR REPLACE FUNCTION runplane_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('runplane.notify', true) IS DISTINCT FROM 'coalesced' AND EXISTS (SELECT 1 FROM added) THEN
        PERFORM pg_notify('runplane_events', '');
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER execution_events_notify ON execution_events;
CREATE TRIGGER execution_events_notify AFTER INSERT ON execution_events
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION runplane_notify_events();
