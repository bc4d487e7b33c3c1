package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"modernc.org/sqlite"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlfilter"
)

// orrery_fold_contains(s, sub) is store.FoldContains for SQL: the text
// search of queries too short for the trigram index (sqlfilter's
// sqliteLogText). SQLite's own lower() and LIKE fold ASCII only. The
// driver registers functions for every connection it opens afterwards, so
// this runs before any Open.
func init() {
	err := sqlite.RegisterDeterministicScalarFunction("orrery_fold_contains", 2,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			s, ok1 := args[0].(string)
			sub, ok2 := args[1].(string)
			if !ok1 || !ok2 {
				return nil, nil // NULL, as SQL functions answer a NULL argument
			}
			return store.FoldContains(s, sub), nil
		})
	if err != nil {
		panic(err)
	}
}

// RunLogsPage reads the run's logs in (ts, seq) order from the row after
// the cursor "ts:seq". The index logs_flow_run (flow_run_id, ts) holds the
// rowid (seq) too, so the row-value comparison is a range seek in it and
// every page costs the same however deep into the run it starts.
func (s *Store) RunLogsPage(ctx context.Context, q *store.RunLogsQuery) (*store.RunLogs, error) {
	var afterTS, afterSeq int64 = -1 << 62, 0
	if q.After != "" {
		if _, err := fmt.Sscanf(q.After, "%d:%d", &afterTS, &afterSeq); err != nil || fmt.Sprintf("%d:%d", afterTS, afterSeq) != q.After {
			return nil, store.BadCursor(q.After)
		}
	}
	limit := max(q.Limit, 1)
	rows, err := s.r.QueryContext(ctx, `SELECT ts, seq, doc FROM logs WHERE flow_run_id = ? AND (ts, seq) > (?, ?) ORDER BY ts, seq LIMIT ?`,
		q.FlowRunID.String(), afterTS, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &store.RunLogs{}
	var ts, seq int64
	for rows.Next() {
		var doc string
		if err := rows.Scan(&ts, &seq, &doc); err != nil {
			return nil, err
		}
		l := new(core.Log)
		if err := json.Unmarshal([]byte(doc), l); err != nil {
			return nil, err
		}
		out.Logs = append(out.Logs, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out.Next = q.After
	if len(out.Logs) > 0 {
		out.Next = fmt.Sprintf("%d:%d", ts, seq)
	}
	return out, nil
}

// A text search is answered one of two ways: from the FTS index, which
// collects every match and then orders them, or by reading the rows the
// other criteria select in the list's (indexed) timestamp order and
// checking each message until the page is full. The index wins for a rare
// phrase (a needle among millions of lines: a few matches at once); the
// scan wins for a common one ("in state Completed": the page fills within a
// few hundred rows, while the index would first gather millions of matches
// to sort them) and within a run (its rows are one small index range).
// listLogsByScan chooses: with a run filter it scans first, up to
// textScanBudget rows; without one it counts the index's matches up to
// ftsCommon and scans (up to textScanBudget*10 rows) only when there are at
// least that many. Variables so that a test can send every search to the
// index.
var (
	textScanBudget = 20_000
	ftsCommon      = 5_000
)

// listLogsByScan answers a text search by the scan when it is the cheaper
// way (above). ok is false — the FTS query must answer — when the scan was
// not tried, or its budget ran out before the page was full, or the list
// is not one it can serve (OR-combined, another sort).
func (s *Store) listLogsByScan(ctx context.Context, q *store.LogQuery) (out []*core.Log, ok bool, err error) {
	f := q.Filter
	text := f.TextQuery()
	if text == "" || strings.ContainsRune(text, 0) || f.Operator.IsOr() || (q.Sort != "" && q.Sort != "TIMESTAMP_ASC" && q.Sort != "TIMESTAMP_DESC") {
		return nil, false, nil
	}
	budget := textScanBudget
	if f.RunIDs() == nil && utf8.RuneCountInString(text) >= store.MinIndexedTextQuery {
		var n int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM logs_fts WHERE logs_fts MATCH ? LIMIT ?)`,
			sqlfilter.FTSPhrase(text), ftsCommon).Scan(&n); err != nil {
			return nil, false, err
		}
		if n < ftsCommon || ftsCommon == 0 {
			return nil, false, nil // rare: the index answers
		}
		budget *= 10
	}
	rest := *f
	rest.Text = nil
	w := logsWhere(&rest)
	rows, err := s.r.QueryContext(ctx, `SELECT CASE WHEN orrery_fold_contains(message, ?) THEN doc END FROM logs WHERE `+w.sql+
		orderBy(logSorts, q.Sort, "TIMESTAMP_ASC")+" LIMIT "+strconv.Itoa(budget), append([]any{text}, w.args...)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	scanned, matched := 0, 0
	for rows.Next() {
		scanned++
		var doc sql.NullString
		if err := rows.Scan(&doc); err != nil {
			return nil, false, err
		}
		if !doc.Valid {
			continue
		}
		if matched++; matched <= q.Offset {
			continue
		}
		l := new(core.Log)
		if err := json.Unmarshal([]byte(doc.String), l); err != nil {
			return nil, false, err
		}
		out = append(out, l)
		if len(out) == q.Limit { // 0, no limit: every candidate
			return out, true, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	// Fewer rows than the budget: every candidate was checked.
	return out, scanned < budget, nil
}
