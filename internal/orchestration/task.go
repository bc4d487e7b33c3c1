package orchestration

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// SlotWait is how long a task waits when a tag's concurrency limit is
// reached (PREFECT_TASK_RUN_TAG_CONCURRENCY_SLOT_WAIT_SECONDS).
const SlotWait = 30

// TaskInput is everything a task-run decision depends on. The orchestrator
// loads FlowRun, Limits and Cached before deciding.
type TaskInput struct {
	Run        *core.TaskRun
	Proposed   core.StateCreate
	Force      bool
	APIVersion *[3]int
	Now        time.Time
	// FlowRun is the parent flow run (nil if it is gone).
	FlowRun *core.FlowRun
	// Limits are the concurrency limits for the run's tags, ordered by tag,
	// with live slots.
	Limits []*core.ConcurrencyLimit
	// Cached is the newest unexpired cached state for the proposal's cache
	// key, if the proposal asks for RUNNING with a key.
	Cached *core.State
	// Jitter returns a float in [0,1); nil uses math/rand.
	Jitter func() float64
}

// TaskDecision is the outcome plus the side effects to write atomically
// with the new state.
type TaskDecision struct {
	Result          Result
	Run             *core.TaskRun
	AcquireSlots    []store.SlotClaim
	ReleaseSlots    bool
	CacheKey        *string
	CacheExpiration *time.Time
}

type taskCtx struct {
	in       *TaskInput
	run      *core.TaskRun
	saved    int // run_count before a rule reset it
	claims   []store.SlotClaim
	decision *TaskDecision
}

var coreTaskPolicy = []rule[*taskCtx]{
	{
		name: "CacheRetrieval", from: allStates, to: []core.StateType{core.Running},
		before: func(c *taskCtx, t *transition) {
			d := t.proposed.StateDetails
			if d.CacheKey == nil || *d.CacheKey == "" || (d.RefreshCache != nil && *d.RefreshCache) || c.in.Cached == nil {
				return
			}
			cached := *c.in.Cached
			cached.ID, cached.Timestamp, cached.Name = uuid.Nil, core.Time{}, core.NameCached
			t.reject(&cached, "Retrieved state from cache")
		},
	},
	{
		name: "HandleTaskTerminalStateTransitions", from: terminalStates, to: allStates,
		before: func(c *taskCtx, t *transition) {
			it := t.initial.Type
			if t.proposed.Type == core.Running && (it == core.Failed || it == core.Crashed || it == core.Cancelled) &&
				c.in.FlowRun != nil && c.run.FlowRunRunCount < c.in.FlowRun.RunCount {
				c.saved = c.run.RunCount
				c.run.RunCount = 0
				t.rename(core.NameRetrying)
				return
			}
			t.abort("This run has already terminated.")
		},
		cleanup: func(c *taskCtx, t *transition) { c.run.RunCount = c.saved },
	},
	{
		name: "PreventRunningTasksFromStoppedFlows", from: allStates, to: []core.StateType{core.Running},
		before: func(c *taskCtx, t *transition) {
			fr := c.in.FlowRun
			switch {
			case fr == nil || fr.State == nil:
				t.abort("The enclosing flow must be running to begin task execution.")
			case fr.State.Type == core.Paused:
				t.reject(&core.State{Type: core.Paused, Name: core.NameNotReady},
					"The flow is paused, new tasks can execute after resuming flow run: "+fr.ID.String()+".")
			case fr.State.Type != core.Running:
				t.abort("The enclosing flow must be running to begin task execution.")
			}
		},
	},
	{
		name: "PreventRedundantTransitions", from: redundantSet, to: redundantSet,
		before: func(c *taskCtx, t *transition) { preventRedundant(t) },
	},
	{
		name: "SecureTaskConcurrencySlots", from: allStates, to: []core.StateType{core.Running},
		before: func(c *taskCtx, t *transition) {
			for _, l := range c.in.Limits {
				if l.ConcurrencyLimit == 0 {
					c.claims = nil
					t.abort(fmt.Sprintf("The concurrency limit on tag %q is 0 and will deadlock if the task tries to run again.", l.Tag))
					return
				}
				holders := 0
				for _, id := range l.ActiveSlots {
					if id != c.run.ID {
						holders++
					}
				}
				if holders >= l.ConcurrencyLimit {
					c.claims = nil
					t.wait(SlotWait, fmt.Sprintf("Concurrency limit for the %s tag has been reached", l.Tag))
					return
				}
				c.claims = append(c.claims, store.SlotClaim{Tag: l.Tag, Limit: l.ConcurrencyLimit})
			}
		},
		// Claims are only written when the run really enters RUNNING; a
		// later rule changing the transition drops them (2.7's cleanup).
		after: func(c *taskCtx, t *transition) { c.decision.AcquireSlots = c.claims },
	},
	{
		name: "CopyScheduledTime", from: []core.StateType{core.Scheduled}, to: []core.StateType{core.Pending},
		before: func(c *taskCtx, t *transition) { copyScheduledTime(t) },
	},
	{
		name: "WaitForScheduledTime", from: []core.StateType{core.Scheduled, core.Pending}, to: []core.StateType{core.Running},
		before: func(c *taskCtx, t *transition) { waitForScheduledTime(t) },
	},
	{
		name: "RetryFailedTasks", from: []core.StateType{core.Running}, to: []core.StateType{core.Failed},
		before: func(c *taskCtx, t *transition) {
			pol := c.run.EmpiricalPolicy
			if pol.Retries == nil || c.run.RunCount > *pol.Retries {
				return
			}
			base := 0.0
			if delays := pol.Delays(); len(delays) > 0 {
				base = delays[min(max(c.run.RunCount-1, 0), len(delays)-1)]
			}
			delay := base
			if pol.RetryJitterFactor != nil && *pol.RetryJitterFactor > 0 {
				delay = jitter(base, float64(*pol.RetryJitterFactor), c.in.Jitter)
			}
			t.reject(awaitingRetry(t.now, time.Duration(delay*float64(time.Second)), t.proposed), "Retrying")
		},
	},
	{
		name: "RenameReruns", from: allStates, to: []core.StateType{core.Running},
		before: func(c *taskCtx, t *transition) {
			if c.run.RunCount > 0 {
				if t.initial != nil && t.initial.Name == core.NameAwaitingRetry {
					t.rename(core.NameRetrying)
				} else {
					t.rename(core.NameRerunning)
				}
			}
		},
	},
	{
		name: "UpdateFlowRunTrackerOnTasks", from: allStates, to: []core.StateType{core.Running},
		after: func(c *taskCtx, t *transition) {
			if c.in.FlowRun != nil {
				c.run.FlowRunRunCount = c.in.FlowRun.RunCount
			}
		},
	},
	{
		name: "CacheInsertion", from: allStates, to: []core.StateType{core.Completed},
		after: func(c *taskCtx, t *transition) {
			d := t.proposed.StateDetails
			if d.CacheKey != nil && *d.CacheKey != "" {
				c.decision.CacheKey = d.CacheKey
				if d.CacheExpiration != nil {
					e := d.CacheExpiration.Time
					c.decision.CacheExpiration = &e
				}
			}
		},
	},
}

// jitter draws a delay around base: an exponential (Poisson-process)
// interval with mean base, clamped to base*(1±factor), as 2.7's
// clamped_poisson_interval does.
func jitter(base, factor float64, rnd func() float64) float64 {
	if base <= 0 {
		return 0
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	lo, hi := base*(1-factor), base*(1+factor)
	lo = math.Max(lo, 0)
	// Inverse-CDF sampling of an exponential restricted to [lo, hi].
	cdf := func(x float64) float64 { return 1 - math.Exp(-x/base) }
	u := cdf(lo) + rnd()*(cdf(hi)-cdf(lo))
	return -base * math.Log(1-u)
}

// CopyTaskRun returns a copy of r that can be changed without touching r.
func CopyTaskRun(r *core.TaskRun) *core.TaskRun {
	c := *r
	c.Tags = slices.Clone(r.Tags)
	c.State = r.State.Copy()
	return &c
}

// DecideTask runs the core task policy (or, when forced, only slot release)
// and the universal transforms for one proposed state.
func DecideTask(in TaskInput) TaskDecision {
	run := CopyTaskRun(in.Run)
	t := newTransition(in.Now, in.Run.State, in.Proposed, in.APIVersion)
	d := TaskDecision{}
	c := &taskCtx{in: &in, run: run, decision: &d}
	var entered []rule[*taskCtx]
	if !in.Force {
		entered = runBefore(coreTaskPolicy, c, t)
	}
	if t.proposed != nil {
		p := t.proposed
		timing(&run.RunTiming, t)
		fid, tid := run.FlowRunID, run.ID
		p.StateDetails.FlowRunID, p.StateDetails.TaskRunID = &fid, &tid
		if p.Type == core.Running {
			run.RunCount++
		}
	}
	runAfter(entered, c, t)
	if t.proposed == nil {
		return TaskDecision{Result: t.result()}
	}
	if t.proposed.ID == uuid.Nil {
		t.proposed.ID = uuid.New()
	}
	finalize(&run.RunTiming, t)
	// 2.7 bumps `updated` on every write of the run row, a state change
	// included (its ORM's onupdate).
	if !in.Now.IsZero() {
		run.Updated = core.T(in.Now)
	}
	// ReleaseTaskConcurrencySlots: universal, also under force.
	if t.proposed.Type != core.Running && t.proposed.Type != core.Cancelling {
		d.ReleaseSlots = true
	}
	d.Result, d.Run = t.result(), run
	return d
}
