-- Orrery PostgreSQL schema v1. Each row keeps its whole JSON document in
-- `doc` (jsonb); the other columns exist only to filter, sort and enforce
-- uniqueness. Names sort with COLLATE "C" so every backend (SQLite, DynamoDB,
-- PostgreSQL) orders them bytewise, whatever the database's locale.
-- There are no foreign keys: the store contract (shared with DynamoDB) does
-- not require a run's flow to exist, so cascades are explicit deletes.
CREATE TABLE flows (
    id uuid PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    tags jsonb NOT NULL DEFAULT '[]',
    created timestamptz NOT NULL,
    updated timestamptz NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX flows_tags ON flows USING gin (tags jsonb_path_ops);

CREATE TABLE flow_runs (
    id uuid PRIMARY KEY,
    flow_id uuid NOT NULL,
    name text COLLATE "C" NOT NULL,
    deployment_id uuid,
    work_queue_name text,
    state_type text,
    state_name text,
    flow_version text,
    start_time timestamptz,
    end_time timestamptz,
    expected_start_time timestamptz,
    next_scheduled_start_time timestamptz,
    parent_task_run_id uuid,
    idempotency_key text,
    auto_scheduled boolean NOT NULL DEFAULT false,
    tags jsonb NOT NULL DEFAULT '[]',
    created timestamptz NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    doc jsonb NOT NULL
);
-- The unique index is what makes idempotent and scheduled-run creates safe
-- under concurrency: INSERT ... ON CONFLICT DO NOTHING waits on it.
CREATE UNIQUE INDEX flow_runs_idempotency ON flow_runs (flow_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX flow_runs_flow ON flow_runs (flow_id);
CREATE INDEX flow_runs_state ON flow_runs (state_type, state_name);
-- The sort indexes match the ORDER BY clauses in filters.go exactly (key,
-- direction, NULLS placement, id tie-breaker), alone and after a state-type
-- filter, so a page of a large run list is an index walk, not a sort.
CREATE INDEX flow_runs_expected_desc ON flow_runs (expected_start_time DESC NULLS LAST, id);
CREATE INDEX flow_runs_state_expected_desc ON flow_runs (state_type, expected_start_time DESC NULLS LAST, id);
CREATE INDEX flow_runs_start_desc ON flow_runs ((COALESCE(start_time, expected_start_time)) DESC NULLS LAST, id);
CREATE INDEX flow_runs_state_start_desc ON flow_runs (state_type, (COALESCE(start_time, expected_start_time)) DESC NULLS LAST, id);
CREATE INDEX flow_runs_state_next ON flow_runs (state_type, next_scheduled_start_time NULLS FIRST, id);
CREATE INDEX flow_runs_next ON flow_runs (next_scheduled_start_time) WHERE next_scheduled_start_time IS NOT NULL;
CREATE INDEX flow_runs_parent ON flow_runs (parent_task_run_id) WHERE parent_task_run_id IS NOT NULL;
CREATE INDEX flow_runs_deployment ON flow_runs (deployment_id) WHERE deployment_id IS NOT NULL;
CREATE INDEX flow_runs_queue ON flow_runs (work_queue_name, state_type) WHERE work_queue_name IS NOT NULL;
CREATE INDEX flow_runs_tags ON flow_runs USING gin (tags jsonb_path_ops);

CREATE TABLE task_runs (
    id uuid PRIMARY KEY,
    flow_run_id uuid NOT NULL,
    name text COLLATE "C" NOT NULL,
    task_key text NOT NULL,
    dynamic_key text NOT NULL,
    state_type text,
    state_name text,
    start_time timestamptz,
    end_time timestamptz,
    expected_start_time timestamptz,
    next_scheduled_start_time timestamptz,
    tags jsonb NOT NULL DEFAULT '[]',
    created timestamptz NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    doc jsonb NOT NULL
);
CREATE UNIQUE INDEX task_runs_key ON task_runs (flow_run_id, task_key, dynamic_key);
CREATE INDEX task_runs_state ON task_runs (state_type);

-- seq breaks timestamp ties in insertion order, as SQLite's rowid does.
CREATE TABLE flow_run_states (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    id uuid PRIMARY KEY,
    run_id uuid NOT NULL,
    ts timestamptz NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX flow_run_states_run ON flow_run_states (run_id, ts, seq);

CREATE TABLE task_run_states (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    id uuid PRIMARY KEY,
    run_id uuid NOT NULL,
    ts timestamptz NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX task_run_states_run ON task_run_states (run_id, ts, seq);

CREATE TABLE task_cache (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cache_key text NOT NULL,
    expiration timestamptz,
    doc jsonb NOT NULL
);
CREATE INDEX task_cache_key ON task_cache (cache_key, seq);

CREATE TABLE concurrency_limits (
    id uuid PRIMARY KEY,
    tag text COLLATE "C" NOT NULL UNIQUE,
    doc jsonb NOT NULL
);

-- A slot is a lease held by a task run; it counts only while its holder is
-- RUNNING or CANCELLING (see store.ConcurrencyStore).
CREATE TABLE concurrency_slots (
    tag text NOT NULL,
    task_run_id uuid NOT NULL,
    acquired timestamptz NOT NULL,
    PRIMARY KEY (tag, task_run_id)
);
CREATE INDEX concurrency_slots_holder ON concurrency_slots (task_run_id);

CREATE TABLE logs (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    flow_run_id uuid NOT NULL,
    task_run_id uuid,
    level integer NOT NULL,
    ts timestamptz NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX logs_flow_run ON logs (flow_run_id, ts);
CREATE INDEX logs_ts ON logs (ts);

CREATE TABLE saved_searches (
    id uuid PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    doc jsonb NOT NULL
);

CREATE TABLE block_types (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    name text COLLATE "C" NOT NULL,
    doc jsonb NOT NULL
);

CREATE TABLE block_schemas (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    id uuid PRIMARY KEY,
    checksum text NOT NULL,
    version text NOT NULL,
    block_type_id uuid NOT NULL,
    capabilities jsonb NOT NULL DEFAULT '[]',
    created timestamptz NOT NULL,
    doc jsonb NOT NULL,
    UNIQUE (checksum, version)
);
CREATE INDEX block_schemas_type ON block_schemas (block_type_id);

-- data is sealed by the caller: opaque bytes, never JSON.
CREATE TABLE block_documents (
    id uuid PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    block_type_id uuid NOT NULL,
    block_schema_id uuid NOT NULL,
    is_anonymous boolean NOT NULL,
    created timestamptz NOT NULL,
    updated timestamptz NOT NULL,
    data bytea NOT NULL,
    refs jsonb NOT NULL DEFAULT '{}',
    UNIQUE (block_type_id, name)
);

CREATE TABLE deployments (
    id uuid PRIMARY KEY,
    flow_id uuid NOT NULL,
    name text COLLATE "C" NOT NULL,
    tags jsonb NOT NULL DEFAULT '[]',
    is_schedule_active boolean NOT NULL DEFAULT true,
    work_queue_name text,
    created timestamptz NOT NULL,
    updated timestamptz NOT NULL,
    doc jsonb NOT NULL,
    UNIQUE (flow_id, name)
);

CREATE TABLE work_queues (
    id uuid PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    doc jsonb NOT NULL
);
