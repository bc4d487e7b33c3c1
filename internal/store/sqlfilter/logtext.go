package sqlfilter

import (
	"strings"
	"unicode/utf8"

	"github.com/orrery-dev/orrery/internal/store"
)

// logText is the text criterion of a log filter: an empty query matches
// every message.
func (d *Dialect) logText(q string) Cond {
	switch {
	case q == "":
		return Cond{SQL: d.True}
	case strings.ContainsRune(q, 0):
		return Cond{SQL: d.False} // neither FTS5 nor PostgreSQL takes a NUL in a query
	}
	return d.LogText(q)
}

// sqliteLogText searches the FTS5 trigram index (migration
// 0006_log_search.sql). The query is one FTS5 string (double quotes
// doubled), which the trigram tokenizer turns into consecutive trigrams: a
// row matches exactly when its message contains the query, case folded
// (case_sensitive 0), so no LIKE recheck is needed. A query shorter than a
// trigram has no trigrams to look up; it is compared in Go
// (orrery_fold_contains, registered by package sqlite) on the rows the
// other criteria leave, which store.LogFilter.TextNeedsRun makes a run's.
func sqliteLogText(q string) Cond {
	if utf8.RuneCountInString(q) < store.MinIndexedTextQuery {
		return Cond{SQL: "orrery_fold_contains(message, ?)", Args: []any{q}}
	}
	return Cond{SQL: "seq IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)", Args: []any{FTSPhrase(q)}}
}

// FTSPhrase is q as one FTS5 string (double quotes doubled): with the
// trigram tokenizer, a match of every trigram of q in sequence, that is q
// as a substring.
func FTSPhrase(q string) string { return `"` + strings.ReplaceAll(q, `"`, `""`) + `"` }

// postgresLogText is served by the pg_trgm GIN index on
// lower(doc->>'message') (migration 0004_log_search.sql): both sides are
// lowered by PostgreSQL's lower(), so the case folding is the database's
// (full Unicode under a UTF-8 locale) and the index expression matches.
// LIKE's wildcards and escape character in the query are escaped so they
// match themselves.
func postgresLogText(q string) Cond {
	return Cond{
		SQL:  `lower(doc->>'message') LIKE '%' || lower(?) || '%'`,
		Args: []any{LikeEscaper.Replace(q)},
	}
}

// LikeEscaper escapes LIKE's wildcards (% and _) and its default escape
// character (\) so a string matches itself inside a pattern.
var LikeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
