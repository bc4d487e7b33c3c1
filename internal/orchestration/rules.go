package orchestration

import (
	"fmt"
	"math"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
)

// noState stands for "the run has no state yet" in FROM sets.
const noState core.StateType = ""

var (
	allStates      = append([]core.StateType{noState}, core.StateTypes()...)
	terminalStates = []core.StateType{core.Completed, core.Cancelled, core.Failed, core.Crashed}
	// progressRank orders the states PreventRedundantTransitions guards.
	progressRank = map[core.StateType]int{noState: 0, core.Scheduled: 1, core.Pending: 2, core.Running: 3, core.Cancelling: 4}
)

func oneOf(t core.StateType, set []core.StateType) bool {
	for _, s := range set {
		if s == t {
			return true
		}
	}
	return false
}

// transition is the mutable decision state while rules run.
type transition struct {
	now      time.Time
	initial  *core.State
	proposed *core.State // nil once the transition is nullified
	origType core.StateType
	status   Status
	reason   string
	delay    int
	// apiVersion is nil when the client sent no version (= latest).
	apiVersion *[3]int
}

func (t *transition) initialType() core.StateType {
	if t.initial == nil {
		return noState
	}
	return t.initial.Type
}

// stillApplies reports whether rules selected for the original transition
// still apply: a proposal remains and its type is unchanged.
func (t *transition) stillApplies() bool {
	return t.proposed != nil && t.proposed.Type == t.origType
}

func (t *transition) reject(s *core.State, reason string) {
	t.proposed, t.status, t.reason = s, Reject, reason
}

func (t *transition) abort(reason string) {
	t.proposed, t.status, t.reason = nil, Abort, reason
}

func (t *transition) wait(seconds int, reason string) {
	t.proposed, t.status, t.reason, t.delay = nil, Wait, reason, seconds
}

func (t *transition) rename(name string) {
	if t.proposed != nil {
		t.proposed.Name = name
	}
}

// atLeast reports whether the client's API version is >= v (absent = yes).
func (t *transition) atLeast(v [3]int) bool {
	if t.apiVersion == nil {
		return true
	}
	a := *t.apiVersion
	for i := range a {
		if a[i] != v[i] {
			return a[i] > v[i]
		}
	}
	return true
}

// ParseAPIVersion parses an X-PREFECT-API-VERSION value "X.Y.Z".
func ParseAPIVersion(s string) (*[3]int, error) {
	var v [3]int
	var rest string
	n, _ := fmt.Sscanf(s, "%d.%d.%d%s", &v[0], &v[1], &v[2], &rest)
	if n != 3 || fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) != s {
		return nil, fmt.Errorf("invalid version %q", s)
	}
	return &v, nil
}

// rule is one orchestration rule over runs of type R (flow or task context).
type rule[C any] struct {
	name    string
	from    []core.StateType
	to      []core.StateType
	before  func(c C, t *transition)
	after   func(c C, t *transition) // runs when the rule still applies at the end
	cleanup func(c C, t *transition) // runs when a later step changed the transition
}

// run applies the rules in priority order and returns the rules that were
// entered (for after/cleanup).
func runBefore[C any](rules []rule[C], c C, t *transition) []rule[C] {
	var entered []rule[C]
	for _, r := range rules {
		if !oneOf(t.initialType(), r.from) || !oneOf(t.origType, r.to) {
			continue
		}
		if !t.stillApplies() {
			break
		}
		entered = append(entered, r)
		if r.before != nil {
			r.before(c, t)
		}
	}
	return entered
}

func runAfter[C any](entered []rule[C], c C, t *transition) {
	for i := len(entered) - 1; i >= 0; i-- {
		r := entered[i]
		if t.stillApplies() {
			if r.after != nil {
				r.after(c, t)
			}
		} else if r.cleanup != nil {
			r.cleanup(c, t)
		}
	}
}

// preventRedundant is shared by flows and tasks.
func preventRedundant(t *transition) {
	from, to := t.initialType(), t.proposed.Type
	if progressRank[to] <= progressRank[from] {
		t.abort(fmt.Sprintf("This run cannot transition to the %s state from the %s state.", to, from))
	}
}

// copyScheduledTime fills a PENDING proposal's scheduled_time from the
// SCHEDULED state it leaves.
func copyScheduledTime(t *transition) {
	if t.proposed.StateDetails.ScheduledTime == nil {
		t.proposed.StateDetails.ScheduledTime = t.initial.StateDetails.ScheduledTime
	}
}

// waitForScheduledTime delays RUNNING until the scheduled time has come.
func waitForScheduledTime(t *transition) {
	st := t.initial.StateDetails.ScheduledTime
	if st == nil {
		return
	}
	delay := int(math.RoundToEven(st.Sub(t.now).Seconds()))
	if delay > 0 {
		t.wait(delay, "Scheduled time is in the future")
	}
}

// awaitingRetry is the SCHEDULED state a failed attempt is rejected into.
func awaitingRetry(now time.Time, delay time.Duration, failed *core.State) *core.State {
	at := core.T(now.Add(delay))
	return &core.State{
		Type:         core.Scheduled,
		Name:         core.NameAwaitingRetry,
		Message:      failed.Message,
		Data:         failed.Data,
		StateDetails: core.StateDetails{ScheduledTime: &at},
	}
}

// timing applies the universal transforms common to flow and task runs.
func timing(r *core.RunTiming, t *transition) {
	p := t.proposed
	// States made by rules get the defaults a client proposal gets.
	if p.Timestamp.IsZero() {
		p.Timestamp = core.T(t.now)
	}
	if p.Name == "" {
		p.Name = p.Type.DefaultName()
	}
	if p.Type == core.Scheduled && p.StateDetails.ScheduledTime == nil {
		now := core.T(t.now)
		p.StateDetails.ScheduledTime = &now
	}
	r.StateType = &p.Type
	name := p.Name
	r.StateName = &name
	if p.Type == core.Running && r.StartTime == nil {
		ts := p.Timestamp
		r.StartTime = &ts
	}
	if p.Type.IsTerminal() {
		if r.StartTime != nil && r.EndTime == nil {
			ts := p.Timestamp
			r.EndTime = &ts
		}
	} else if t.initial != nil && t.initial.Type.IsTerminal() {
		r.EndTime = nil
	}
	if t.initial != nil && t.initial.Type == core.Running {
		r.TotalRunTime += core.Duration(p.Timestamp.Sub(t.initial.Timestamp.Time))
	}
	if r.ExpectedStartTime == nil {
		if p.Type == core.Scheduled && p.StateDetails.ScheduledTime != nil {
			v := *p.StateDetails.ScheduledTime
			r.ExpectedStartTime = &v
		} else {
			v := p.Timestamp
			r.ExpectedStartTime = &v
		}
	}
	if t.initial != nil && t.initial.Type == core.Scheduled {
		r.NextScheduledStartTime = nil
	}
	if p.Type == core.Scheduled {
		r.NextScheduledStartTime = p.StateDetails.ScheduledTime
	}
}

// finalize stamps the surviving proposal as the run's new state.
func finalize(r *core.RunTiming, t *transition) {
	p := t.proposed
	id := p.ID
	r.StateID = &id
	r.State = p
}

// result builds the answer: the new state when one was written, else the
// run's current state.
func (t *transition) result() Result {
	st := t.proposed
	if st == nil {
		st = t.initial
	}
	return Result{State: st, Status: t.status, Details: details(t.status, t.reason, t.delay)}
}

// newTransition starts a decision for proposal p on a run in state initial.
func newTransition(now time.Time, initial *core.State, p core.StateCreate, apiVersion *[3]int) *transition {
	s := p.NewState(core.T(now))
	return &transition{now: now, initial: initial, proposed: &s, origType: s.Type, status: Accept, apiVersion: apiVersion}
}
