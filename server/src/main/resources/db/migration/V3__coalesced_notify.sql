-- Runplane schema, version 3: writers may announce their commits themselves.
-- A NOTIFY inside a transaction takes a cluster-wide lock at commit (about half the throughput of
-- single-row transactions, DESIGN.md). The server's own store marks its statements with
-- runplane.notify = 'coalesced' and, after they commit, wakes its local event hub in-process and
-- sends at most one NOTIFY on runplane_events per few milliseconds for the other replicas
-- (store/CoalescingNotifier). Every other writer is still announced by this trigger, once per
-- statement, so nothing that listens on runplane_events misses a committed batch.
CREATE OR REPLACE FUNCTION runplane_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('runplane.notify', true) IS DISTINCT FROM 'coalesced' THEN
        PERFORM pg_notify('runplane_events', '');
    END IF;
    RETURN NULL;
END
$$;
