package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/orrery-dev/orrery/internal/results"
	"github.com/orrery-dev/orrery/internal/store"
)

// Defaults of Retention.
const (
	// DefaultPruneBatch is the runs one PruneFlowRuns call deletes: one
	// short write transaction on SQL (about 10 ms for a run with a few
	// task runs and a hundred logs), so the writer is never held long.
	DefaultPruneBatch = 200
	// DefaultPruneBudget caps the runs one tick deletes, so a first pass
	// over a large backlog is spread over ticks instead of one long call
	// (a Lambda tick has a deadline).
	DefaultPruneBudget = 20000
	// DefaultPruneTime caps the time one tick starts batches in: the
	// scheduler Lambda runs every service in one 50 s invocation.
	DefaultPruneTime = 15 * time.Second
)

// Retention deletes flow runs that finished longer ago than Retention
// (ORRERY_RETENTION), with everything under them, in batches; then the
// payloads they had offloaded to the results store.
type Retention struct {
	Store     store.RetentionStore
	Retention time.Duration
	// Grace is added to Retention when the backend expires runs itself
	// (store.Expirer: DynamoDB's TTL), so this pass deletes only what TTL
	// has not reached in time, and TTL's free deletes are not paid for.
	Grace time.Duration
	// Results holds offloaded payloads (nil: the backend offloads none).
	Results results.Store
	// Batch, Budget and MaxTime default to DefaultPruneBatch,
	// DefaultPruneBudget and DefaultPruneTime.
	Batch, Budget int
	MaxTime       time.Duration
	Now           func() time.Time
	Logger        *slog.Logger
}

// Name implements Service.
func (r *Retention) Name() string { return "retention" }

// RunOnce prunes batch after batch until none is left or the budget is
// spent; the next tick carries on.
func (r *Retention) RunOnce(ctx context.Context) error {
	if r.Retention <= 0 {
		return nil
	}
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	maxTime := r.MaxTime
	if maxTime <= 0 {
		maxTime = DefaultPruneTime
	}
	// The wall clock bounds the tick even when Now is a test clock.
	until := time.Now().Add(maxTime)
	total, err := Prune(ctx, r.Store, r.Results, &store.PruneParams{Before: now.Add(-r.Retention - r.Grace), Limit: or(r.Batch, DefaultPruneBatch)},
		or(r.Budget, DefaultPruneBudget), until)
	if total.FlowRuns > 0 && r.Logger != nil {
		r.Logger.Info("retention: pruned finished flow runs", "flow_runs", total.FlowRuns, "task_runs", total.TaskRuns,
			"states", total.States, "logs", total.Logs, "payloads", len(total.ResultKeys), "retention", r.Retention.String())
	}
	return err
}

func or(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Prune calls st.PruneFlowRuns with p until a call deletes fewer than
// p.Limit runs, budget runs are deleted or (unless it is zero) until has
// passed, deleting each batch's payloads from rs after the batch. With p.DryRun it makes one call of up to budget
// runs (nothing changes between calls, so a loop would count the same
// runs again). It returns the totals so far, also on error.
func Prune(ctx context.Context, st store.RetentionStore, rs results.Store, p *store.PruneParams, budget int, until time.Time) (store.PruneResult, error) {
	var total store.PruneResult
	batch := *p
	if batch.DryRun {
		batch.Limit = budget
	}
	for total.FlowRuns < budget {
		batch.Limit = min(batch.Limit, budget-total.FlowRuns)
		res, err := st.PruneFlowRuns(ctx, &batch)
		if err != nil {
			return total, fmt.Errorf("pruning flow runs: %w", err)
		}
		total.Add(res)
		if !batch.DryRun && len(res.ResultKeys) > 0 {
			if rs == nil {
				return total, errors.New("pruned runs had offloaded payloads but no results store is configured")
			}
			for _, k := range res.ResultKeys {
				if err := rs.Delete(ctx, k); err != nil {
					return total, fmt.Errorf("deleting payload %s: %w", k, err)
				}
			}
		}
		if batch.DryRun || res.FlowRuns < batch.Limit || (!until.IsZero() && time.Now().After(until)) {
			break
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
	return total, nil
}
