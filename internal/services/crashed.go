package services

import (
	"context"
	"fmt"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store"
)

// DefaultAgentDeadline is how long a work queue may go unpolled before the
// PENDING and RUNNING runs it handed out are presumed orphaned.
const DefaultAgentDeadline = 10 * time.Minute

// CrashedRuns finds flow runs whose agent vanished and marks them Crashed.
//
// 2.7 agents send no per-run heartbeat, but every agent polls its queues
// every few seconds (get_runs records last_polled). A queue nobody has polled
// for Deadline has no live agent, so its claimed runs (PENDING, RUNNING,
// CANCELLING) cannot finish: they are forced to CRASHED, which ends their
// task runs' concurrency-slot leases in that same write (within one tick of
// the deadline passing), and their unfinished task runs are crashed too.
type CrashedRuns struct {
	Orch     *orchestration.Orchestrator
	Now      func() time.Time
	Deadline time.Duration
}

// Name implements Service.
func (c *CrashedRuns) Name() string { return "crashed-runs" }

// RunOnce checks every work queue once.
func (c *CrashedRuns) RunOnce(ctx context.Context) error {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	deadline := c.Deadline
	if deadline <= 0 {
		deadline = DefaultAgentDeadline
	}
	st := c.Orch.Store
	queues, err := st.ListWorkQueues(ctx, nil, store.Page{})
	if err != nil {
		return err
	}
	active := []core.StateType{core.Pending, core.Running, core.Cancelling}
	for _, q := range queues {
		if q.LastPolled == nil || now.Sub(q.LastPolled.Time) < deadline {
			continue // never polled (nothing handed out) or alive
		}
		runs, err := st.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
			WorkQueueName: &store.OptStringFilter{Any: &[]string{q.Name}},
			State:         store.StateTypes(active...),
		}}, Page: store.Page{Limit: 500}})
		if err != nil {
			return err
		}
		for _, r := range runs {
			msg := fmt.Sprintf("Work queue %q has not been polled since %s: the run's agent is gone.", q.Name, q.LastPolled.Format(time.RFC3339))
			// The CRASHED write ends the run's slot leases at once; the
			// orchestrator then crashes its unfinished task runs
			// (orchestration.ChildTaskClosure).
			_, _, err := c.Orch.SetFlowRunStateIf(ctx, r.ID, core.StateCreate{Type: core.Crashed, Message: &msg}, true,
				func(cur *core.FlowRun) bool {
					return cur.StateType != nil && !cur.StateType.IsTerminal() && *cur.StateType != core.Scheduled
				})
			if err != nil && !core.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}
