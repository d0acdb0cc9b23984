-- executions_running holds the leased executions (RUNNING, CANCELLING) in create-time order over
-- every pipeline, with the pipeline after the key (V8 led with the pipeline). A Search without a
-- pipeline read every leased execution (through executions_leases; 50,000 at 5% of 1,000,000:
-- ~100 ms) and sorted them; now the leased part of a search in create-time order walks this index from the page's
-- position and stops at the last row that the part without a lease found (SearchSql), so it reads
-- only the leased executions created within the page's span. A pipeline is an index condition on
-- the trailing column: checked in the index, no heap visit for other pipelines' rows.
-- Still one entry per leased version, as in V8: the claim and the heartbeat write what they wrote.
-- The predicate spells Sql.LEASED exactly, so that the planner matches it to Search's text.

DROP INDEX executions_running;
CREATE INDEX executions_running ON executions (create_time DESC, id DESC, pipeline)
    WHERE status IN ('CANCELLING', 'RUNNING');
