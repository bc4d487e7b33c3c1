-- Text search in log messages (POST /logs/filter {"logs": {"text": {"query": ...}}}):
-- a pg_trgm GIN index on the lowered message serves LIKE '%...%' on it for
-- any query of three characters or more.
--
-- pg_trgm is a trusted extension (PostgreSQL 13+): a role with CREATE on the
-- database may create it. It is created once per database, in the public
-- schema when there is one, so that stores in other schemas (search_path)
-- share it and dropping one of those schemas cannot take it, and the index
-- names its operator class with the schema the extension is in. An
-- advisory lock keeps servers migrating different schemas at once from
-- both creating it.
DO $$
DECLARE
    ext_schema text;
BEGIN
    PERFORM pg_advisory_xact_lock(7325846100413);
    SELECT n.nspname INTO ext_schema
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL THEN
        IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
            ext_schema := 'public';
        ELSE
            ext_schema := current_schema();
        END IF;
        EXECUTE format('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA %I', ext_schema);
    END IF;
    EXECUTE format('CREATE INDEX logs_message_trgm ON logs USING gin (lower(doc->>%L) %I.gin_trgm_ops)', 'message', ext_schema);
END
$$;
