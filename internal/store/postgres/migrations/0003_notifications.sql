-- Orrery PostgreSQL schema v3: flow-run notification policies and the queue
-- of notifications they produce (written in the flow-run transition's own
-- transaction; one per policy and state).
CREATE TABLE notification_policies (
    id uuid PRIMARY KEY,
    is_active boolean NOT NULL,
    doc jsonb NOT NULL
);

CREATE TABLE notifications (
    id uuid PRIMARY KEY,
    policy_id uuid NOT NULL,
    state_id uuid NOT NULL,
    flow_run_id uuid NOT NULL,
    status text NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    lease_until timestamptz,
    created timestamptz NOT NULL,
    doc jsonb NOT NULL,
    UNIQUE (policy_id, state_id)
);
-- Claims scan only pending notifications in due order.
CREATE INDEX notifications_due ON notifications (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX notifications_created ON notifications (created DESC, id DESC);
CREATE INDEX notifications_flow_run ON notifications (flow_run_id);
