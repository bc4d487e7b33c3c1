package services

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/schedule"
	"github.com/orrery-dev/orrery/internal/store"
)

// Scheduler defaults of 2.7 (PREFECT_ORION_SERVICES_SCHEDULER_*).
const (
	DefaultMaxRuns          = 100
	DefaultMinRuns          = 3
	DefaultMaxScheduledTime = 100 * 24 * time.Hour
	DefaultMinScheduledTime = time.Hour
	deploymentBatch         = 100
)

// ScheduleOptions overrides the generator's bounds (POST
// /deployments/{id}/schedule); zero values mean the defaults.
type ScheduleOptions struct {
	Start   *time.Time
	End     *time.Time
	MinTime time.Duration
	MinRuns int
	MaxRuns int
}

// Scheduler creates the upcoming runs of active scheduled deployments.
type Scheduler struct {
	Store store.Store
	Now   func() time.Time
	// NewName names runs; nil gives "scheduled-<short id>".
	NewName func() string
}

// Name implements Service.
func (s *Scheduler) Name() string { return "scheduler" }

func (s *Scheduler) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// RunOnce schedules every active deployment that has a schedule.
func (s *Scheduler) RunOnce(ctx context.Context) error {
	active := true
	for offset := 0; ; offset += deploymentBatch {
		deps, err := s.Store.ListDeployments(ctx, &store.DeploymentQuery{
			RunFilters: store.RunFilters{Deployments: &store.DeploymentFilter{IsScheduleActive: &store.BoolFilter{Eq: &active}}},
			Sort:       "NAME_ASC", Page: store.Page{Limit: deploymentBatch, Offset: offset},
		})
		if err != nil {
			return err
		}
		for _, d := range deps {
			if len(d.Schedule) == 0 || string(d.Schedule) == "null" {
				continue
			}
			if _, err := s.ScheduleDeployment(ctx, d, ScheduleOptions{}); err != nil {
				return err
			}
		}
		if len(deps) < deploymentBatch {
			return nil
		}
	}
}

// ScheduleDeployment inserts d's runs for the dates its schedule yields
// within the bounds. Every run's idempotency key is derived from the
// deployment and the date, and the insert skips existing keys, so repeated
// or concurrent calls never create a duplicate. It returns how many runs
// were created.
func (s *Scheduler) ScheduleDeployment(ctx context.Context, d *core.Deployment, o ScheduleOptions) (int, error) {
	if len(d.Schedule) == 0 || string(d.Schedule) == "null" {
		return 0, nil
	}
	sc, err := schedule.Parse(d.Schedule)
	if err != nil || sc == nil {
		return 0, nil // stored schedules were validated on write
	}
	now := s.now()
	start, end := now, now.Add(DefaultMaxScheduledTime)
	if o.Start != nil {
		start = *o.Start
	}
	if o.End != nil {
		end = *o.End
	}
	minTime, minRuns, maxRuns := DefaultMinScheduledTime, DefaultMinRuns, DefaultMaxRuns
	if o.MinTime > 0 {
		minTime = o.MinTime
	}
	if o.MinRuns > 0 {
		minRuns = o.MinRuns
	}
	if o.MaxRuns > 0 {
		maxRuns = o.MaxRuns
	}
	var dates []time.Time
	for _, t := range sc.Dates(start, end, maxRuns) {
		dates = append(dates, t)
		if len(dates) >= minRuns && !t.Before(start.Add(minTime)) {
			break
		}
	}
	runs := make([]*core.FlowRun, 0, len(dates))
	for _, t := range dates {
		runs = append(runs, s.newRun(d, t, now))
	}
	if len(runs) == 0 {
		return 0, nil
	}
	return s.Store.InsertScheduledRuns(ctx, runs)
}

func (s *Scheduler) newRun(d *core.Deployment, at, now time.Time) *core.FlowRun {
	key := schedule.ScheduledKey(d.ID.String(), at)
	id := uuid.Must(uuid.NewV7())
	name := "scheduled-" + id.String()[len(id.String())-8:]
	if s.NewName != nil {
		name = s.NewName()
	}
	params := d.Parameters
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	run := &core.FlowRun{
		ID: id, Created: core.T(now), Updated: core.T(now), Name: name, FlowID: d.FlowID, DeploymentID: &d.ID,
		WorkQueueName: d.WorkQueueName, Parameters: params, Context: json.RawMessage("{}"), IdempotencyKey: &key,
		Tags: append([]string{"auto-scheduled"}, d.Tags...), AutoScheduled: true,
		InfrastructureDocumentID: d.InfrastructureDocumentID,
	}
	run.EmpiricalPolicy.Normalize()
	msg, stateName := "Flow run scheduled", "Scheduled"
	when := core.T(at)
	dec := orchestration.DecideFlow(orchestration.FlowInput{Run: run, Force: true, Now: now, Proposed: core.StateCreate{
		Type: core.Scheduled, Name: &stateName, Message: &msg, StateDetails: &core.StateDetails{ScheduledTime: &when},
	}})
	return dec.Run
}
