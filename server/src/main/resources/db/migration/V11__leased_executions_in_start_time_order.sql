-- The leased executions (RUNNING, CANCELLING) in start-time order, for Search's leased part in
-- order_by start_time (a dashboard's "recently started"). Since V8 the search indexes leave out
-- leased versions, and no other index has them in this order: start_time is the claim's time, while
-- executions_running follows create time, executions_leases the lease's expiry (moved by every
-- heartbeat) and the primary key the id. So a search in start-time order over every execution read
-- and sorted every leased one (50,000 at 5% of 1,000,000: 100-300 ms); now it walks this index from
-- the page's position to the last row of the part without a lease (SearchSql), like V10's.
-- The cost: one more entry per leased version. Measured in psql (PostgreSQL 17.7), 100,000 queued
-- executions claimed in one statement and then given a heartbeat, rolled back, 4 runs per variant:
-- 784.7 B of WAL per claim and 800.4 per heartbeat without it, 887.5-887.8 and 899.3-899.5 with it
-- (+103 and +99 B); with the pipeline as a third column, as executions_running, 919 and 910, so it
-- is left out (a pipeline's leased rows are few: executions_running serves them).
-- The predicate spells Sql.LEASED exactly, so that the planner matches it to Search's text.

CREATE INDEX executions_running_start_time ON executions (start_time DESC, id DESC)
    WHERE status IN ('CANCELLING', 'RUNNING');
