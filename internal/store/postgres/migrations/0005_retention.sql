-- Orrery PostgreSQL schema v5: finished flow runs by end time, so the
-- retention pass (PruneFlowRuns) reads only the runs it deletes instead of
-- every finished run on each tick.
CREATE INDEX IF NOT EXISTS flow_runs_state_end ON flow_runs (state_type, end_time);
