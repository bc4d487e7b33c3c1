package store

import (
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
)

// LogTextFilter is a text search in log messages. Its JSON shape is later
// Prefect releases' LogFilterTextSearch ({"query": "..."}, at most 200
// characters), so clients that know that filter send it unchanged; the
// query is matched differently, though: the whole query is one substring
// (no operators, quotes or negation), compared case-insensitively with
// Unicode simple case folding (see FoldContains). A query holding a NUL
// character is refused by the API (no backend stores one in a message:
// PostgreSQL cannot) and matches nothing in a store.
type LogTextFilter struct {
	Query *string `json:"query" required:"true" nullable:"false" maxLength:"200" pattern:"^[^\\x00]*$" description:"A substring of the message, matched ignoring case; 1-2 characters need a flow_run_id any_ filter (and on DynamoDB every query does)"`
}

// MinIndexedTextQuery is the shortest text query the backends answer from
// a trigram index. A shorter one (one or two characters) matches too many
// rows for an index to help, so it must be narrowed to flow runs (see
// LogFilter.TextNeedsRun); an empty query matches every message.
const MinIndexedTextQuery = 3

// TextQuery is the filter's text query, or "" when it has none.
func (f *LogFilter) TextQuery() string {
	if f == nil || f.Text == nil || f.Text.Query == nil {
		return ""
	}
	return *f.Text.Query
}

// RunIDs are the flow runs every match of f belongs to — its flow_run_id
// any_ list when the filter is AND-combined — or nil when f does not
// narrow to given runs.
func (f *LogFilter) RunIDs() []uuid.UUID {
	if f == nil || f.Operator.IsOr() || f.FlowRunID == nil || f.FlowRunID.Any == nil {
		return nil
	}
	return *f.FlowRunID.Any
}

// TextNeedsRun reports the error of a text query too short for the index
// that is not narrowed to flow runs (nil when the filter is fine): a
// one- or two-character query is answered by scanning the named runs'
// logs, never the whole table.
func (f *LogFilter) TextNeedsRun() error {
	q := f.TextQuery()
	if q == "" || utf8.RuneCountInString(q) >= MinIndexedTextQuery || f.RunIDs() != nil {
		return nil
	}
	return core.Errorf(core.EInvalid, "A text query shorter than %d characters needs a flow_run_id filter (any_) combined with and_.", MinIndexedTextQuery)
}

// FoldContains reports whether s contains substr, ignoring case with
// Unicode simple case folding (each rune lowered on its own, as SQLite's
// FTS5 trigram tokenizer with case_sensitive 0 does).
func FoldContains(s, substr string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(substr))
}

// RunLogsQuery reads a flow run's logs (its task runs' included) page by
// page in timestamp order, ties in a fixed order, for a download: each page
// starts where the previous one ended (keyset paging), so reading a run of
// millions of lines costs the same per page from the first to the last.
type RunLogsQuery struct {
	FlowRunID uuid.UUID
	// After is the Next of the previous page; "" starts at the beginning.
	// Its form is the backend's own.
	After string
	// Limit is the page size (at least 1).
	Limit int
}

// RunLogs is one page of a RunLogsQuery.
type RunLogs struct {
	Logs []*core.Log
	// Next is the cursor after this page's last log (the query's After
	// when the page is empty): the After of the following page. A page
	// shorter than the limit was the last one for now; reading on from
	// its Next later returns the lines written since (how a follower
	// tails a running flow run).
	Next string
}

// BadCursor is the error of a RunLogsQuery.After no page of this backend
// returned.
func BadCursor(after string) error {
	return core.Errorf(core.EInvalid, "invalid log cursor %q", after)
}
