-- Free text over the executions that hold a lease (RUNNING, CANCELLING). Since V8 the text index
-- leaves them out, and V10's walk of executions_running reads every leased execution created within
-- the page's span and checks its text: for a word that few executions carry the page spans weeks,
-- and SearchBenchmark's "E42" (1,000,000 executions, 50,000 leased) read ~15,000 leased rows, p99
-- 25-31 ms. Through this index the leased part reads only the leased rows that have the words: p99
-- 8 ms. Its price, measured alternating in WorkerBenchmark (batched, 16 workers): ~170 bytes of WAL
-- per execution (about 3%; one GIN entry per leased version, so a heartbeat pays it too), with
-- PostgreSQL's CPU per execution and the throughput unchanged within the noise (docs/benchmarks.md).
-- The predicate spells Sql.LEASED exactly, so that the planner matches it to Search's text.

CREATE INDEX executions_running_search_text ON executions USING gin (search_text)
    WHERE status IN ('CANCELLING', 'RUNNING');
