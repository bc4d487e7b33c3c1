-- Orrery SQLite schema v5: flow-run notification policies and the queue of
-- notifications they produce (written in the flow-run transition's own
-- transaction; one per policy and state).
CREATE TABLE notification_policies (
    id TEXT PRIMARY KEY,
    is_active INTEGER NOT NULL,
    doc TEXT NOT NULL
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    policy_id TEXT NOT NULL,
    state_id TEXT NOT NULL,
    flow_run_id TEXT NOT NULL,
    status TEXT NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    created INTEGER NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (policy_id, state_id)
);
-- Claims scan only pending notifications in due order.
CREATE INDEX notifications_due ON notifications (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX notifications_created ON notifications (created DESC, id DESC);
CREATE INDEX notifications_flow_run ON notifications (flow_run_id);
