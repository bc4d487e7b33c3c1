-- Orrery SQLite schema v4: API keys (the SHA-256 of each key, never the
-- key) and the audit log of admin actions. Reset keeps both tables, so
-- they are created only if missing when the schema is re-applied.
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    created INTEGER NOT NULL,
    revoked INTEGER,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS api_keys_created ON api_keys (created, id);

CREATE TABLE IF NOT EXISTS audit_log (
    id TEXT PRIMARY KEY,
    ts INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_ts ON audit_log (ts DESC, id DESC);
