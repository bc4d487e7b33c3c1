-- Orrery PostgreSQL schema v2: API keys (the SHA-256 of each key, never the
-- key) and the audit log of admin actions. Reset keeps both tables
-- (KeptTables), so they are created only if missing when the schema is
-- re-applied.
CREATE TABLE IF NOT EXISTS api_keys (
    id text COLLATE "C" PRIMARY KEY,
    created timestamptz NOT NULL,
    revoked timestamptz,
    doc jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS api_keys_created ON api_keys (created, id);

CREATE TABLE IF NOT EXISTS audit_log (
    id uuid PRIMARY KEY,
    ts timestamptz NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_ts ON audit_log (ts DESC, id DESC);
