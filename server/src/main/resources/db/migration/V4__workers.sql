-- Workers: how long a claim's lease lasts, so that a heartbeat without a duration extends it by as much.
ALTER TABLE executions ADD COLUMN lease_duration_ms bigint;
