package store

import (
	"context"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
)

// RetentionStore deletes finished flow runs once they are old enough
// (ORRERY_RETENTION, `orrery database prune`).
type RetentionStore interface {
	// PruneFlowRuns deletes up to p.Limit flow runs whose state is terminal
	// (core.TerminalStates) and that finished before p.Before — by their
	// end time, or by their terminal state's timestamp when they never
	// started — together with their task runs, both runs' states, their
	// logs, concurrency slots and task-cache entries. Each call is short
	// (one transaction or a few batch writes), so callers loop until
	// Result.FlowRuns < Limit. Nothing else is touched: runs in any other
	// state (so the scheduled runs of deployments), flows, deployments,
	// work queues and blocks stay. With p.DryRun nothing is deleted and the
	// result counts what one call would delete.
	PruneFlowRuns(ctx context.Context, p *PruneParams) (*PruneResult, error)
}

// PruneParams selects the flow runs one PruneFlowRuns call deletes.
type PruneParams struct {
	// Before is the cutoff: runs that finished at or after it stay.
	Before time.Time
	// Limit caps the flow runs deleted by one call (> 0).
	Limit  int
	DryRun bool
}

// PruneResult counts what one PruneFlowRuns call deleted (or would delete).
type PruneResult struct {
	FlowRuns, TaskRuns, States, Logs int
	// ResultKeys are the results-store keys (internal/results) of payloads
	// the deleted records had offloaded; the caller deletes them from the
	// results store once the records are gone, so no record is ever left
	// pointing at a missing payload.
	ResultKeys []string
}

// Add accumulates o into r (a prune loop's total).
func (r *PruneResult) Add(o *PruneResult) {
	r.FlowRuns += o.FlowRuns
	r.TaskRuns += o.TaskRuns
	r.States += o.States
	r.Logs += o.Logs
	r.ResultKeys = append(r.ResultKeys, o.ResultKeys...)
}

// TerminalStates are the state types a run never leaves: the ones
// PruneFlowRuns may delete.
func TerminalStates() []core.StateType {
	return []core.StateType{core.Completed, core.Failed, core.Cancelled, core.Crashed}
}

// Expirer is implemented by backends that can make records expire by
// themselves (DynamoDB's TTL) instead of being deleted by PruneFlowRuns.
// The app calls SetRetention once, before serving, with ORRERY_RETENTION;
// the backend then stamps expiry times as it writes, and returns how long
// after a run's expiry its own deletion may lag (DynamoDB: up to about two
// days), so the retention service prunes only what is still there after
// that grace and the deletion itself costs no write.
type Expirer interface {
	SetRetention(retention time.Duration) (grace time.Duration)
}
