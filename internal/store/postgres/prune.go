package postgres

import (
	"context"
	"strings"

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

// pruneCandidates selects up to $2 finished runs ended before $1: by end
// time on the (state_type, end_time) index (0005_retention.sql), and runs
// that never started (no end time) by their newest state's timestamp.
var pruneCandidates = `SELECT id FROM flow_runs WHERE state_type IN ` + terminalIn + ` AND end_time < $1
	UNION ALL
	SELECT f.id FROM flow_runs f WHERE f.state_type IN ` + terminalIn + ` AND f.end_time IS NULL
		AND (SELECT max(ts) FROM flow_run_states WHERE run_id = f.id) < $1
	LIMIT $2`

// sqlPrune deletes one batch in one statement (so one short transaction):
// the runs — locked, skipping rows another pruner holds, so two servers'
// passes never wait on each other — then through their ids everything
// that hangs off them. The task cache has no task-run column; it is small
// (only tasks with a cache key write it), so it is matched on the state's
// task_run_id.
var sqlPrune = `WITH runs AS (DELETE FROM flow_runs WHERE id IN (
		SELECT id FROM flow_runs WHERE id IN (` + pruneCandidates + `) FOR UPDATE SKIP LOCKED) RETURNING id),
	tasks AS (DELETE FROM task_runs WHERE flow_run_id IN (SELECT id FROM runs) RETURNING id),
	flow_states AS (DELETE FROM flow_run_states WHERE run_id IN (SELECT id FROM runs) RETURNING 1),
	task_states AS (DELETE FROM task_run_states WHERE run_id IN (SELECT id FROM tasks) RETURNING 1),
	slots AS (DELETE FROM concurrency_slots WHERE task_run_id IN (SELECT id FROM tasks)),
	cache AS (DELETE FROM task_cache WHERE doc->'state_details'->>'task_run_id' IN (SELECT id::text FROM tasks)),
	log_rows AS (DELETE FROM logs WHERE flow_run_id IN (SELECT id FROM runs) RETURNING 1),
	queued AS (DELETE FROM notifications WHERE flow_run_id IN (SELECT id FROM runs))
	SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM tasks),
		(SELECT count(*) FROM flow_states) + (SELECT count(*) FROM task_states), (SELECT count(*) FROM log_rows)`

// sqlPruneDry counts what sqlPrune would delete.
var sqlPruneDry = `WITH runs AS (` + pruneCandidates + `),
	tasks AS (SELECT id FROM task_runs WHERE flow_run_id IN (SELECT id FROM runs))
	SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM tasks),
		(SELECT count(*) FROM flow_run_states WHERE run_id IN (SELECT id FROM runs))
			+ (SELECT count(*) FROM task_run_states WHERE run_id IN (SELECT id FROM tasks)),
		(SELECT count(*) FROM logs WHERE flow_run_id IN (SELECT id FROM runs))`

// PruneFlowRuns implements store.RetentionStore: one statement per batch.
func (s *Store) PruneFlowRuns(ctx context.Context, p *store.PruneParams) (*store.PruneResult, error) {
	if p.Limit <= 0 {
		return nil, core.Errorf(core.EBadRequest, "prune limit must be positive, got %d", p.Limit)
	}
	res := &store.PruneResult{}
	var runs, tasks, states, logs int64
	q := sqlPrune
	if p.DryRun {
		q = sqlPruneDry
	}
	if err := s.pool.QueryRow(ctx, q, p.Before, p.Limit).Scan(&runs, &tasks, &states, &logs); err != nil {
		return nil, err
	}
	res.FlowRuns, res.TaskRuns, res.States, res.Logs = int(runs), int(tasks), int(states), int(logs)
	return res, nil
}
