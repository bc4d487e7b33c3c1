-- Orrery SQLite schema v3: flow-run counts per state type, kept by triggers,
-- so /flow_runs/count with no filter or only a state-type filter (the UI's
-- dashboard and tab badges) is a read of a few rows instead of a scan of an
-- index of every run (bench/: 60-120 ms at 1M runs). A NULL state type is
-- counted under ''.
CREATE TABLE flow_run_counts (
    state_type TEXT PRIMARY KEY,
    n INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO flow_run_counts (state_type, n) SELECT COALESCE(state_type, ''), COUNT(*) FROM flow_runs GROUP BY 1;

CREATE TRIGGER flow_run_counts_insert AFTER INSERT ON flow_runs BEGIN
    INSERT INTO flow_run_counts (state_type, n) VALUES (COALESCE(NEW.state_type, ''), 1)
        ON CONFLICT (state_type) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER flow_run_counts_delete AFTER DELETE ON flow_runs BEGIN
    UPDATE flow_run_counts SET n = n - 1 WHERE state_type = COALESCE(OLD.state_type, '');
END;
CREATE TRIGGER flow_run_counts_update AFTER UPDATE OF state_type ON flow_runs
WHEN OLD.state_type IS NOT NEW.state_type BEGIN
    UPDATE flow_run_counts SET n = n - 1 WHERE state_type = COALESCE(OLD.state_type, '');
    INSERT INTO flow_run_counts (state_type, n) VALUES (COALESCE(NEW.state_type, ''), 1)
        ON CONFLICT (state_type) DO UPDATE SET n = n + 1;
END;
