-- Runplane schema, version 9: the event log's key is its position, (xid, sequence).
--
-- Each event row entered three b-trees: the primary key on sequence, the position index on (xid,
-- sequence) that every reader of the log walks, and (execution_id, revision). The position is unique
-- on its own (sequence is), so it becomes the primary key and the key on sequence goes: one b-tree
-- entry less per event, three per execution (measured in WorkerBenchmark, docs/benchmarks.md). The
-- one lookup by sequence alone (a stream resumed after a sequence, EventLog) reads a BRIN index
-- instead: sequences grow with the table's physical order, so a block range holds a narrow span of
-- them, and an insert into a range that is not yet summarized costs nothing.
ALTER TABLE execution_events DROP CONSTRAINT execution_events_pkey;
ALTER TABLE execution_events ADD CONSTRAINT execution_events_pkey PRIMARY KEY (xid, sequence);
DROP INDEX execution_events_position;
CREATE INDEX execution_events_sequence ON execution_events USING brin (sequence)
    WITH (pages_per_range = 16, autosummarize = on);
