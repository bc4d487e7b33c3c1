package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// terminalIn is the SQL list of terminal state types.
var terminalIn = func() string {
	var q []string
	for _, t := range store.TerminalStates() {
		q = append(q, "'"+string(t)+"'")
	}
	return "(" + strings.Join(q, ", ") + ")"
}()

// sqlPruneCandidates selects finished runs ended before a cutoff: by end
// time on the (state_type, end_time) index (0007_retention.sql), and runs
// that never started (no end time) by their newest state's timestamp.
var sqlPruneCandidates = `SELECT id FROM (
	SELECT id FROM flow_runs WHERE state_type IN ` + terminalIn + ` AND end_time < ?1
	UNION ALL
	SELECT f.id FROM flow_runs f WHERE f.state_type IN ` + terminalIn + ` AND f.end_time IS NULL
		AND (SELECT MAX(ts) FROM flow_run_states WHERE run_id = f.id) < ?1
) LIMIT ?2`

// pruneSteps are the tables a pruned batch leaves, children first. ?1 is
// the JSON array of the batch's flow-run ids; count says which total a
// step adds to.
var pruneSteps = func() []struct{ table, where, count string } {
	const runs = `(SELECT value FROM json_each(?1))`
	const tasks = `(SELECT id FROM task_runs WHERE flow_run_id IN ` + runs + `)`
	return []struct{ table, where, count string }{
		{"task_run_states", "run_id IN " + tasks, "states"},
		{"concurrency_slots", "task_run_id IN " + tasks, ""},
		// The cache has no task-run column; it is small (only tasks with
		// a cache key write it) and expires, so a scan per batch is fine.
		{"task_cache", "json_extract(doc, '$.state_details.task_run_id') IN " + tasks, ""},
		{"logs", "flow_run_id IN " + runs, "logs"},
		{"task_runs", "flow_run_id IN " + runs, "task_runs"},
		{"flow_run_states", "run_id IN " + runs, "states"},
		{"notifications", "flow_run_id IN " + runs, ""},
		{"flow_runs", "id IN " + runs, "flow_runs"},
	}
}()

// PruneFlowRuns implements store.RetentionStore: one write transaction per
// call, so a batch holds the writer only briefly.
func (s *Store) PruneFlowRuns(ctx context.Context, p *store.PruneParams) (*store.PruneResult, error) {
	if p.Limit <= 0 {
		return nil, core.Errorf(core.EBadRequest, "prune limit must be positive, got %d", p.Limit)
	}
	res := &store.PruneResult{}
	var ids []uuid.UUID
	run := func(tx *sql.Tx) error {
		*res, ids = store.PruneResult{}, nil
		rows, err := tx.QueryContext(ctx, sqlPruneCandidates, tm(p.Before), p.Limit)
		if err != nil {
			return err
		}
		var idStrs []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			idStrs = append(idStrs, id)
			if u, err := uuid.Parse(id); err == nil {
				ids = append(ids, u)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(idStrs) == 0 {
			return err
		}
		batch, _ := json.Marshal(idStrs)
		for _, st := range pruneSteps {
			var n int64
			if p.DryRun {
				if st.count == "" {
					continue
				}
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+st.table+` WHERE `+st.where, string(batch)).Scan(&n); err != nil {
					return err
				}
			} else {
				r, err := tx.ExecContext(ctx, `DELETE FROM `+st.table+` WHERE `+st.where, string(batch))
				if err != nil {
					return err
				}
				n, _ = r.RowsAffected()
			}
			switch st.count {
			case "states":
				res.States += int(n)
			case "logs":
				res.Logs += int(n)
			case "task_runs":
				res.TaskRuns += int(n)
			case "flow_runs":
				res.FlowRuns += int(n)
			}
		}
		if p.DryRun {
			res.FlowRuns = len(idStrs)
		}
		return nil
	}
	if p.DryRun {
		tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		if err := run(tx); err != nil {
			return nil, err
		}
		return res, nil
	}
	err := s.txThen(ctx, run, func() {
		for _, id := range ids {
			s.flowRuns.drop(id)
		}
		s.taskRuns.clear()
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
