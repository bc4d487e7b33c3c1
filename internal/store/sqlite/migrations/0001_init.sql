-- Orrery SQLite schema v1. Each row keeps its full JSON document in `doc`;
-- the other columns exist only to filter, sort and enforce uniqueness.
-- Times are integer unix microseconds so comparisons and sorts are exact.
CREATE TABLE flows (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    tags TEXT NOT NULL DEFAULT '[]',
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    doc TEXT NOT NULL
);

CREATE TABLE flow_runs (
    id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL,
    name TEXT NOT NULL,
    deployment_id TEXT,
    work_queue_name TEXT,
    state_type TEXT,
    state_name TEXT,
    flow_version TEXT,
    start_time INTEGER,
    end_time INTEGER,
    expected_start_time INTEGER,
    next_scheduled_start_time INTEGER,
    parent_task_run_id TEXT,
    idempotency_key TEXT,
    auto_scheduled INTEGER NOT NULL DEFAULT 0,
    tags TEXT NOT NULL DEFAULT '[]',
    created INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX flow_runs_idempotency ON flow_runs (flow_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX flow_runs_flow ON flow_runs (flow_id);
CREATE INDEX flow_runs_state ON flow_runs (state_type, state_name);
CREATE INDEX flow_runs_expected ON flow_runs (expected_start_time);
CREATE INDEX flow_runs_next ON flow_runs (next_scheduled_start_time) WHERE next_scheduled_start_time IS NOT NULL;
CREATE INDEX flow_runs_parent ON flow_runs (parent_task_run_id) WHERE parent_task_run_id IS NOT NULL;
CREATE INDEX flow_runs_deployment ON flow_runs (deployment_id) WHERE deployment_id IS NOT NULL;
CREATE INDEX flow_runs_queue ON flow_runs (work_queue_name, state_type) WHERE work_queue_name IS NOT NULL;

CREATE TABLE task_runs (
    id TEXT PRIMARY KEY,
    flow_run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    task_key TEXT NOT NULL,
    dynamic_key TEXT NOT NULL,
    state_type TEXT,
    state_name TEXT,
    start_time INTEGER,
    end_time INTEGER,
    expected_start_time INTEGER,
    next_scheduled_start_time INTEGER,
    tags TEXT NOT NULL DEFAULT '[]',
    created INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX task_runs_key ON task_runs (flow_run_id, task_key, dynamic_key);
CREATE INDEX task_runs_state ON task_runs (state_type);

CREATE TABLE flow_run_states (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX flow_run_states_run ON flow_run_states (run_id, ts);

CREATE TABLE task_run_states (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX task_run_states_run ON task_run_states (run_id, ts);

CREATE TABLE task_cache (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    cache_key TEXT NOT NULL,
    expiration INTEGER,
    doc TEXT NOT NULL
);
CREATE INDEX task_cache_key ON task_cache (cache_key, seq);

CREATE TABLE concurrency_limits (
    id TEXT PRIMARY KEY,
    tag TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);

-- A slot is a lease held by a task run; it counts only while its holder is
-- RUNNING or CANCELLING (see store.ConcurrencyStore).
CREATE TABLE concurrency_slots (
    tag TEXT NOT NULL,
    task_run_id TEXT NOT NULL,
    acquired INTEGER NOT NULL,
    PRIMARY KEY (tag, task_run_id)
);
CREATE INDEX concurrency_slots_holder ON concurrency_slots (task_run_id);

CREATE TABLE logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    flow_run_id TEXT NOT NULL,
    task_run_id TEXT,
    level INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX logs_flow_run ON logs (flow_run_id, ts);
CREATE INDEX logs_ts ON logs (ts);

CREATE TABLE saved_searches (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);

CREATE TABLE block_types (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    doc TEXT NOT NULL
);

CREATE TABLE block_schemas (
    id TEXT PRIMARY KEY,
    checksum TEXT NOT NULL,
    version TEXT NOT NULL,
    block_type_id TEXT NOT NULL,
    capabilities TEXT NOT NULL DEFAULT '[]',
    created INTEGER NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (checksum, version)
);

CREATE TABLE block_documents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    block_type_id TEXT NOT NULL,
    block_schema_id TEXT NOT NULL,
    is_anonymous INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    data BLOB NOT NULL,
    refs TEXT NOT NULL DEFAULT '{}',
    UNIQUE (block_type_id, name)
);

CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL,
    name TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    is_schedule_active INTEGER NOT NULL DEFAULT 1,
    work_queue_name TEXT,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (flow_id, name)
);

CREATE TABLE work_queues (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);
