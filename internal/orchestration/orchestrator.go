package orchestration

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// maxAttempts bounds the read-decide-write loop under contention. Each lost
// race means another writer made progress, so this is generous.
const maxAttempts = 64

// Orchestrator applies decisions through a store: read the run with its
// version, decide with the pure policies, write conditionally, and on a lost
// race read again and decide again.
type Orchestrator struct {
	Store store.Store
	Now   func() time.Time
	// Observe, when set, is told the answer to every proposed state (kind
	// "flow" or "task"), or the error when there is none: the metrics hook.
	Observe func(kind string, proposed core.StateType, result string, err error)
}

// New returns an Orchestrator using the wall clock.
func New(s store.Store) *Orchestrator { return &Orchestrator{Store: s, Now: time.Now} }

func (o *Orchestrator) observe(kind string, proposed core.StateType, res Result, err error) {
	if o.Observe != nil {
		o.Observe(kind, proposed, string(res.Status), err)
	}
}

func (o *Orchestrator) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

func conflictErr() error {
	return core.Errorf(core.EConflict, "The run was changed concurrently too many times; try again.")
}

// SetFlowRunState orchestrates a proposed state for a flow run. written
// reports whether a new state was stored (201 vs 200 in the API).
func (o *Orchestrator) SetFlowRunState(ctx context.Context, id uuid.UUID, p core.StateCreate, force bool, apiVersion *[3]int) (res Result, written bool, err error) {
	defer func() { o.observe("flow", p.Type, res, err) }()
	return o.setFlowRunState(ctx, id, p, force, apiVersion, nil)
}

// SetFlowRunStateIf is SetFlowRunState for background services: the
// transition is only attempted while cond holds for the run as read, and the
// write is conditional on that read, so a forced change never overwrites a
// state the run moved to in between. It returns written=false when cond
// does not hold.
func (o *Orchestrator) SetFlowRunStateIf(ctx context.Context, id uuid.UUID, p core.StateCreate, force bool, cond func(*core.FlowRun) bool) (Result, bool, error) {
	return o.setFlowRunState(ctx, id, p, force, nil, cond)
}

func (o *Orchestrator) setFlowRunState(ctx context.Context, id uuid.UUID, p core.StateCreate, force bool, apiVersion *[3]int, cond func(*core.FlowRun) bool) (res Result, written bool, err error) {
	var policies policySet // notify.go
	for attempt := 0; attempt < maxAttempts; attempt++ {
		run, err := o.Store.GetFlowRun(ctx, id)
		if err != nil {
			return Result{}, false, err
		}
		if cond != nil && !cond(run) {
			return Result{State: run.State, Status: Abort, Details: details(Abort, "condition no longer holds", 0)}, false, nil
		}
		d := DecideFlow(FlowInput{Run: run, Proposed: p, Force: force, APIVersion: apiVersion, Now: o.now()})
		if d.Run == nil {
			return d.Result, false, nil
		}
		notes, err := o.notificationsFor(ctx, &policies, d.Run)
		if err != nil {
			return Result{}, false, err
		}
		err = o.Store.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: d.Run, ExpectedVersion: run.Version, AppendState: true,
			Notifications: notes})
		if errors.Is(err, store.ErrVersionConflict) {
			continue
		}
		if err != nil {
			return Result{}, false, err
		}
		if d.ParentTaskState != nil {
			if err := o.mirrorToParentTask(ctx, *d.Run.ParentTaskRunID, d.ParentTaskState); err != nil {
				return Result{}, false, err
			}
		}
		if st := d.Run.State; st != nil && st.Type.IsTerminal() {
			// The write above already ended the task runs' slot leases;
			// this marks the task runs themselves (children.go).
			if err := o.closeChildTasks(ctx, d.Run.ID, st.Type); err != nil {
				return Result{}, false, err
			}
		}
		return d.Result, true, nil
	}
	return Result{}, false, conflictErr()
}

// mirrorToParentTask force-sets a subflow's new state on its parent task run,
// so the parent flow sees the subflow as one of its tasks.
func (o *Orchestrator) mirrorToParentTask(ctx context.Context, taskRunID uuid.UUID, s *core.State) error {
	name := s.Name
	details := s.StateDetails
	_, _, err := o.SetTaskRunState(ctx, taskRunID, core.StateCreate{
		Type: s.Type, Name: &name, Message: s.Message, Data: s.Data, StateDetails: &details,
	}, true, nil)
	if core.IsNotFound(err) {
		return nil // the parent task run was deleted; nothing to mirror onto
	}
	return err
}

// SetTaskRunState orchestrates a proposed state for a task run.
func (o *Orchestrator) SetTaskRunState(ctx context.Context, id uuid.UUID, p core.StateCreate, force bool, apiVersion *[3]int) (res Result, written bool, err error) {
	defer func() { o.observe("task", p.Type, res, err) }()
	return o.setTaskRunState(ctx, id, p, force, apiVersion, nil)
}

// setTaskRunState is SetTaskRunState that, like SetFlowRunStateIf, only
// writes while cond (when set) holds for the run as read.
func (o *Orchestrator) setTaskRunState(ctx context.Context, id uuid.UUID, p core.StateCreate, force bool, apiVersion *[3]int, cond func(*core.TaskRun) bool) (res Result, written bool, err error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		run, err := o.Store.GetTaskRun(ctx, id)
		if err != nil {
			return Result{}, false, err
		}
		if cond != nil && !cond(run) {
			return Result{State: run.State, Status: Abort, Details: details(Abort, "condition no longer holds", 0)}, false, nil
		}
		in := TaskInput{Run: run, Proposed: p, Force: force, APIVersion: apiVersion, Now: o.now()}
		if !force && p.Type == core.Running {
			if err := o.loadTaskInputs(ctx, &in); err != nil {
				return Result{}, false, err
			}
		}
		d := DecideTask(in)
		if d.Run == nil {
			return d.Result, false, nil
		}
		err = o.Store.CommitTaskRunTransition(ctx, &store.TaskRunTransition{
			Run: d.Run, ExpectedVersion: run.Version, AppendState: true,
			AcquireSlots: d.AcquireSlots, ReleaseSlots: d.ReleaseSlots,
			CacheKey: d.CacheKey, CacheExpiration: d.CacheExpiration,
		})
		if errors.Is(err, store.ErrVersionConflict) {
			continue
		}
		if err != nil {
			return Result{}, false, err
		}
		return d.Result, true, nil
	}
	return Result{}, false, conflictErr()
}

// loadTaskInputs reads what the RUNNING rules need: the parent flow run,
// the concurrency limits of the task's tags and a cache hit.
func (o *Orchestrator) loadTaskInputs(ctx context.Context, in *TaskInput) error {
	fr, err := o.Store.GetFlowRun(ctx, in.Run.FlowRunID)
	if err != nil && !core.IsNotFound(err) {
		return err
	}
	in.FlowRun = fr
	if len(in.Run.Tags) > 0 {
		if in.Limits, err = o.Store.ConcurrencyLimitsForTags(ctx, in.Run.Tags); err != nil {
			return err
		}
	}
	if d := in.Proposed.StateDetails; d != nil && d.CacheKey != nil && *d.CacheKey != "" && (d.RefreshCache == nil || !*d.RefreshCache) {
		if in.Cached, err = o.Store.LookupCache(ctx, *d.CacheKey, in.Now); err != nil {
			return err
		}
	}
	return nil
}

// CreateFlowRun stores a new run with its initial state (Pending when nil),
// applied with force as 2.7 does. An idempotency-key hit returns the existing
// run with created false and changes nothing.
func (o *Orchestrator) CreateFlowRun(ctx context.Context, run *core.FlowRun, initial *core.StateCreate) (*core.FlowRun, bool, error) {
	p := core.StateCreate{Type: core.Pending}
	if initial != nil {
		p = *initial
	}
	d := DecideFlow(FlowInput{Run: run, Proposed: p, Force: true, Now: o.now()})
	d.Run.Updated = run.Updated // a new run's updated is its created, as the caller set them
	out, created, err := o.Store.CreateFlowRun(ctx, d.Run)
	if err != nil || !created {
		return out, created, err
	}
	if err := o.queueInitialNotifications(ctx, out); err != nil {
		return nil, false, err
	}
	if d.ParentTaskState != nil {
		if err := o.mirrorToParentTask(ctx, *run.ParentTaskRunID, d.ParentTaskState); err != nil {
			return nil, false, err
		}
	}
	return out, true, nil
}

// CreateTaskRun stores a new task run with its initial state (Pending when
// nil), applied with force. A (flow run, task key, dynamic key) hit returns
// the existing run unchanged.
func (o *Orchestrator) CreateTaskRun(ctx context.Context, run *core.TaskRun, initial *core.StateCreate) (*core.TaskRun, bool, error) {
	p := core.StateCreate{Type: core.Pending}
	if initial != nil {
		p = *initial
	}
	d := DecideTask(TaskInput{Run: run, Proposed: p, Force: true, Now: o.now()})
	d.Run.Updated = run.Updated // as for flow runs
	return o.Store.CreateTaskRun(ctx, d.Run)
}

// ResumeFlowRun resumes a paused flow run (POST /flow_runs/{id}/resume).
func (o *Orchestrator) ResumeFlowRun(ctx context.Context, id uuid.UUID, apiVersion *[3]int) (Result, bool, error) {
	run, err := o.Store.GetFlowRun(ctx, id)
	if err != nil {
		return Result{}, false, err
	}
	if run.State == nil || run.State.Type != core.Paused {
		return Result{Status: Abort, Details: details(Abort, "Cannot resume a flow run that is not paused.", 0)}, false, nil
	}
	p := core.StateCreate{Type: core.Running}
	if run.State.StateDetails.PauseReschedule {
		name := core.NameResuming
		now := core.T(o.now())
		p = core.StateCreate{Type: core.Scheduled, Name: &name, StateDetails: &core.StateDetails{ScheduledTime: &now}}
	}
	return o.SetFlowRunState(ctx, id, p, false, apiVersion)
}
