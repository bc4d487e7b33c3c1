package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"

	"modernc.org/sqlite"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
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
