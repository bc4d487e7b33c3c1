package services

import (
	"context"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store"
)

// LateAfter is PREFECT_ORION_SERVICES_LATE_RUNS_AFTER_SECONDS.
const LateAfter = 5 * time.Second

const lateBatch = 400

// LateRuns renames SCHEDULED runs whose start time has passed to "Late".
// They stay SCHEDULED, so agents still pick them up.
type LateRuns struct {
	Orch *orchestration.Orchestrator
	Now  func() time.Time
}

// Name implements Service.
func (l *LateRuns) Name() string { return "late-runs" }

// RunOnce marks every overdue run.
func (l *LateRuns) RunOnce(ctx context.Context) error {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	cutoff := core.T(now.Add(-LateAfter))
	for {
		runs, err := l.Orch.Store.ListFlowRuns(ctx, &store.FlowRunQuery{
			RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
				State:                  &store.StateFilter{Type: store.StateTypes(core.Scheduled).Type, Name: &store.StringAnyFilter{Any: &[]string{"Scheduled"}}},
				NextScheduledStartTime: &store.TimeFilter{Before: &cutoff},
			}},
			Sort: "NEXT_SCHEDULED_START_TIME_ASC", Page: store.Page{Limit: lateBatch},
		})
		if err != nil {
			return err
		}
		for _, r := range runs {
			name := core.NameLate
			st := r.NextScheduledStartTime
			_, _, err := l.Orch.SetFlowRunStateIf(ctx, r.ID, core.StateCreate{Type: core.Scheduled, Name: &name,
				StateDetails: &core.StateDetails{ScheduledTime: st}}, true, func(cur *core.FlowRun) bool {
				// Only a run still waiting as "Scheduled": never clobber a
				// run an agent has just claimed.
				return cur.StateType != nil && *cur.StateType == core.Scheduled && cur.StateName != nil && *cur.StateName == "Scheduled"
			})
			if err != nil && !core.IsNotFound(err) {
				return err
			}
		}
		if len(runs) < lateBatch {
			return nil
		}
	}
}
