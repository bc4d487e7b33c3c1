package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// RunLogsPage reads the run's logs in (ts, seq) order from the row after
// the cursor "unix-microseconds:seq" (timestamptz keeps microseconds, so
// the cursor is exact). The row-value comparison is a range start in the
// index logs_flow_run (flow_run_id, ts); seq orders ties within it.
func (s *Store) RunLogsPage(ctx context.Context, q *store.RunLogsQuery) (*store.RunLogs, error) {
	after, afterSeq := time.UnixMicro(-62135596800000000).UTC(), int64(0) // year 1: before any log
	if q.After != "" {
		var us int64
		if _, err := fmt.Sscanf(q.After, "%d:%d", &us, &afterSeq); err != nil || fmt.Sprintf("%d:%d", us, afterSeq) != q.After {
			return nil, store.BadCursor(q.After)
		}
		after = time.UnixMicro(us).UTC()
	}
	limit := max(q.Limit, 1)
	rows, err := s.pool.Query(ctx, `SELECT ts, seq, doc FROM logs WHERE flow_run_id = $1 AND (ts, seq) > ($2, $3) ORDER BY ts, seq LIMIT $4`,
		q.FlowRunID, after, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &store.RunLogs{}
	var ts time.Time
	var seq int64
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&ts, &seq, &raw); err != nil {
			return nil, err
		}
		l := new(core.Log)
		if err := decodeInto(raw, l); err != nil {
			return nil, err
		}
		out.Logs = append(out.Logs, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out.Next = q.After
	if len(out.Logs) > 0 {
		out.Next = fmt.Sprintf("%d:%d", ts.UnixMicro(), seq)
	}
	return out, nil
}
