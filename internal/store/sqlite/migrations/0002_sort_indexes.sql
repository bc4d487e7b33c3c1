-- Orrery SQLite schema v2: indexes that serve the flow-run list's sorts
-- (each sort key with its id tie-breaker, in the sort's own direction) alone
-- and after a state-type filter, so a page of 50 out of a million runs is an
-- index walk instead of a sort of every matching row (bench/: 555 ms -> <1 ms
-- for Completed by expected start time at 100k runs). The (state_type, ...)
-- indexes also cover counts by state and by state and time range.
DROP INDEX IF EXISTS flow_runs_expected;
CREATE INDEX flow_runs_expected_desc ON flow_runs (expected_start_time DESC, id);
CREATE INDEX flow_runs_state_expected_desc ON flow_runs (state_type, expected_start_time DESC, id);
CREATE INDEX flow_runs_start_desc ON flow_runs (COALESCE(start_time, expected_start_time) DESC, id);
CREATE INDEX flow_runs_state_start_desc ON flow_runs (state_type, COALESCE(start_time, expected_start_time) DESC, id);
CREATE INDEX flow_runs_state_next ON flow_runs (state_type, next_scheduled_start_time, id);
