package orchestration

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
)

// FlowInput is everything a flow-run decision depends on.
type FlowInput struct {
	Run        *core.FlowRun // current run; not modified
	Proposed   core.StateCreate
	Force      bool
	APIVersion *[3]int // nil: client sent none (treated as latest)
	Now        time.Time
}

// FlowDecision is the outcome. Run is nil when nothing is to be written;
// otherwise it is the run as it must be stored, with Run.State the new state.
type FlowDecision struct {
	Result Result
	Run    *core.FlowRun
	// ParentTaskState is the state to force onto the parent task run of a
	// subflow after the write (nil when not a subflow or nothing written).
	ParentTaskState *core.State
}

type flowCtx struct {
	run *core.FlowRun
	// saved policy for rules that undo their changes in cleanup
	savedPolicy core.FlowRunPolicy
	pauseKey    string
}

var coreFlowPolicy = []rule[*flowCtx]{
	{
		name: "HandleFlowTerminalStateTransitions", from: terminalStates, to: allStates,
		before: func(c *flowCtx, t *transition) {
			c.savedPolicy = copyFlowPolicy(c.run.EmpiricalPolicy)
			if t.proposed.Type == core.Scheduled && t.proposed.Name == core.NameAwaitingRetry {
				if t.atLeast([3]int{0, 8, 4}) {
					c.run.EmpiricalPolicy.Resuming = false
					c.run.EmpiricalPolicy.PauseKeys = []string{}
				}
				if c.run.DeploymentID == nil {
					t.abort("Cannot restart a run without an associated deployment.")
				}
				return
			}
			t.abort("This run has already terminated.")
		},
		cleanup: func(c *flowCtx, t *transition) { c.run.EmpiricalPolicy = c.savedPolicy },
	},
	{
		name: "HandleCancellingStateTransitions", from: []core.StateType{core.Cancelling, core.Cancelled},
		to: without(allStates, core.Cancelled),
		before: func(c *flowCtx, t *transition) {
			t.reject(nil, "Cannot transition flows that are cancelling to a state other than Cancelled.")
		},
	},
	{
		name: "PreventRedundantTransitions", from: redundantSet, to: redundantSet,
		before: func(c *flowCtx, t *transition) { preventRedundant(t) },
	},
	{
		name: "HandlePausingFlows", from: allStates, to: []core.StateType{core.Paused},
		before: func(c *flowCtx, t *transition) {
			if t.initial == nil {
				t.abort("Cannot pause flows with no state.")
				return
			}
			if t.initial.Type != core.Running {
				t.reject(nil, "Cannot pause flows that are not currently running.")
				return
			}
			c.pauseKey = uuid.NewString()
			if k := t.proposed.StateDetails.PauseKey; k != nil {
				c.pauseKey = *k
			}
			if slices.Contains(c.run.EmpiricalPolicy.PauseKeys, c.pauseKey) {
				t.reject(nil, "This pause has already fired.")
				return
			}
			if t.proposed.StateDetails.PauseReschedule {
				if c.run.ParentTaskRunID != nil {
					t.abort("Cannot pause subflows with the reschedule option.")
					return
				}
				if c.run.DeploymentID == nil {
					t.abort("Cannot pause flows without a deployment with the reschedule option.")
				}
			}
		},
		after: func(c *flowCtx, t *transition) {
			c.run.EmpiricalPolicy.PauseKeys = append(slices.Clone(c.run.EmpiricalPolicy.PauseKeys), c.pauseKey)
		},
	},
	{
		name: "HandleResumingPausedFlows", from: []core.StateType{core.Paused}, to: allStates,
		before: func(c *flowCtx, t *transition) {
			p := t.proposed
			if !(p.Type == core.Running || p.Type == core.Scheduled || p.Type.IsTerminal()) {
				t.reject(nil, "This run cannot transition to the "+string(p.Type)+" state from the PAUSED state.")
				return
			}
			if t.initial.StateDetails.PauseReschedule && c.run.DeploymentID == nil {
				t.reject(nil, "Cannot reschedule a paused flow run without a deployment.")
				return
			}
			if pt := t.initial.StateDetails.PauseTimeout; pt != nil && pt.Before(t.now) {
				msg := "The flow was paused and never resumed."
				t.reject(&core.State{Type: core.Failed, Name: "Failed", Message: &msg},
					"The flow run pause has timed out and can no longer resume.")
			}
		},
		after: func(c *flowCtx, t *transition) { c.run.EmpiricalPolicy.Resuming = true },
	},
	{
		name: "CopyScheduledTime", from: []core.StateType{core.Scheduled}, to: []core.StateType{core.Pending},
		before: func(c *flowCtx, t *transition) { copyScheduledTime(t) },
	},
	{
		name: "WaitForScheduledTime", from: []core.StateType{core.Scheduled, core.Pending}, to: []core.StateType{core.Running},
		before: func(c *flowCtx, t *transition) { waitForScheduledTime(t) },
	},
	{
		name: "RetryFailedFlows", from: []core.StateType{core.Running}, to: []core.StateType{core.Failed},
		before: func(c *flowCtx, t *transition) {
			pol := &c.run.EmpiricalPolicy
			if pol.Retries == nil || c.run.RunCount > *pol.Retries {
				return
			}
			delay := 0
			if pol.RetryDelay != nil {
				delay = *pol.RetryDelay
			}
			if t.atLeast([3]int{0, 8, 4}) {
				pol.Resuming = false
				pol.PauseKeys = []string{}
			}
			t.reject(awaitingRetry(t.now, time.Duration(delay)*time.Second, t.proposed), "Retrying")
		},
	},
}

var redundantSet = []core.StateType{noState, core.Scheduled, core.Pending, core.Running, core.Cancelling}

func without(set []core.StateType, drop core.StateType) []core.StateType {
	var out []core.StateType
	for _, s := range set {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func copyFlowPolicy(p core.FlowRunPolicy) core.FlowRunPolicy {
	p.PauseKeys = slices.Clone(p.PauseKeys)
	return p
}

// CopyFlowRun returns a copy of r that can be changed without touching r.
func CopyFlowRun(r *core.FlowRun) *core.FlowRun {
	c := *r
	c.Tags = slices.Clone(r.Tags)
	c.EmpiricalPolicy = copyFlowPolicy(r.EmpiricalPolicy)
	c.State = r.State.Copy()
	return &c
}

// DecideFlow runs the core flow policy (or none when forced) and the
// universal transforms for one proposed state.
func DecideFlow(in FlowInput) FlowDecision {
	run := CopyFlowRun(in.Run)
	t := newTransition(in.Now, in.Run.State, in.Proposed, in.APIVersion)
	c := &flowCtx{run: run}
	var entered []rule[*flowCtx]
	if !in.Force {
		entered = runBefore(coreFlowPolicy, c, t)
	}
	if t.proposed != nil {
		flowTransforms(run, t)
	}
	runAfter(entered, c, t)
	if t.proposed == nil {
		return FlowDecision{Result: t.result()}
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
	d := FlowDecision{Result: t.result(), Run: run}
	if run.ParentTaskRunID != nil {
		mirror := *t.proposed
		mirror.ID = uuid.New()
		mirror.StateDetails.ChildFlowRunID = &run.ID
		d.ParentTaskState = &mirror
	}
	return d
}

// flowTransforms are the universal flow-run transforms of 2.7.12.
func flowTransforms(run *core.FlowRun, t *transition) {
	p := t.proposed
	timing(&run.RunTiming, t)
	id := run.ID
	p.StateDetails.FlowRunID = &id
	if run.ParentTaskRunID != nil {
		pid := *run.ParentTaskRunID
		p.StateDetails.TaskRunID = &pid
	}
	pauseAware := t.atLeast([3]int{0, 8, 4})
	if p.Type == core.Running && !(pauseAware && run.EmpiricalPolicy.Resuming) {
		run.RunCount++
	}
	if pauseAware && (p.Type == core.Running || p.Type.IsTerminal()) {
		run.EmpiricalPolicy.Resuming = false
	}
}
