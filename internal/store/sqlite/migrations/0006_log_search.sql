-- Text search in log messages (POST /logs/filter {"logs": {"text": {"query": ...}}}).
--
-- The message lives in the JSON document; a virtual generated column names
-- it (computed when read, no storage) so the FTS table can use logs as its
-- external content: the index holds only the trigrams, not a second copy of
-- every message. The trigram tokenizer answers any substring of three or
-- more characters from the index; case_sensitive 0 folds case with SQLite's
-- Unicode case folding, so "échec" finds "ÉCHEC". Shorter queries are not
-- answered by the index (see store.MinIndexedTextQuery).
ALTER TABLE logs ADD COLUMN message TEXT GENERATED ALWAYS AS (json_extract(doc, '$.message')) VIRTUAL;

CREATE VIRTUAL TABLE logs_fts USING fts5(
    message,
    content = 'logs',
    content_rowid = 'seq',
    tokenize = 'trigram case_sensitive 0'
);

-- Kept in sync by triggers. Logs are never updated by the API; the update
-- trigger is there so a future rewrite of a document cannot leave the index
-- stale.
CREATE TRIGGER logs_fts_insert AFTER INSERT ON logs BEGIN
    INSERT INTO logs_fts (rowid, message) VALUES (new.seq, new.message);
END;
CREATE TRIGGER logs_fts_delete AFTER DELETE ON logs BEGIN
    INSERT INTO logs_fts (logs_fts, rowid, message) VALUES ('delete', old.seq, old.message);
END;
CREATE TRIGGER logs_fts_update AFTER UPDATE OF doc ON logs BEGIN
    INSERT INTO logs_fts (logs_fts, rowid, message) VALUES ('delete', old.seq, old.message);
    INSERT INTO logs_fts (rowid, message) VALUES (new.seq, new.message);
END;

-- Index the logs written before this migration.
INSERT INTO logs_fts (logs_fts) VALUES ('rebuild');
