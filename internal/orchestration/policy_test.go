package orchestration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

var now = time.Date(2023, 2, 7, 10, 0, 0, 0, time.UTC)

func st(typ core.StateType, name string, mutate ...func(*core.State)) *core.State {
	if name == "" {
		name = typ.DefaultName()
	}
	s := &core.State{ID: uuid.New(), Type: typ, Name: name, Timestamp: core.T(now.Add(-time.Minute))}
	for _, m := range mutate {
		m(s)
	}
	return s
}

func flowRunIn(s *core.State) *core.FlowRun {
	r := &core.FlowRun{ID: uuid.New(), FlowID: uuid.New(), Version: 3}
	r.EmpiricalPolicy.PauseKeys = []string{}
	if s != nil {
		r.State, r.StateType, r.StateID = s, &s.Type, &s.ID
	}
	return r
}

func propose(typ core.StateType, mutate ...func(*core.StateCreate)) core.StateCreate {
	p := core.StateCreate{Type: typ, StateDetails: &core.StateDetails{}}
	for _, m := range mutate {
		m(&p)
	}
	return p
}

func named(n string) func(*core.StateCreate) { return func(p *core.StateCreate) { p.Name = &n } }

func TestPreventRedundantTransitionsAllPairs(t *testing.T) {
	t.Parallel()
	guarded := []core.StateType{noState, core.Scheduled, core.Pending, core.Running, core.Cancelling}
	for _, from := range guarded {
		for _, to := range guarded[1:] {
			var initial *core.State
			if from != noState {
				initial = st(from, "")
			}
			d := DecideFlow(FlowInput{Run: flowRunIn(initial), Proposed: propose(to), Now: now})
			redundant := progressRank[to] <= progressRank[from]
			// Leaving CANCELLING for anything but CANCELLED is rejected first.
			if from == core.Cancelling {
				if d.Result.Status != Reject && d.Result.Status != Abort {
					t.Errorf("%s -> %s: %s, want REJECT/ABORT", from, to, d.Result.Status)
				}
				continue
			}
			if redundant && d.Result.Status != Abort {
				t.Errorf("%s -> %s: %s, want ABORT", from, to, d.Result.Status)
			}
			if !redundant && to != core.Running && d.Result.Status != Accept {
				t.Errorf("%s -> %s: %s, want ACCEPT", from, to, d.Result.Status)
			}
		}
	}
}

func TestFlowPolicyTable(t *testing.T) {
	t.Parallel()
	future := core.TP(now.Add(90 * time.Second))
	past := core.TP(now.Add(-time.Hour))
	dep := uuid.New()
	tests := []struct {
		name       string
		initial    *core.State
		run        func(*core.FlowRun)
		proposed   core.StateCreate
		status     Status
		wantType   core.StateType
		wantName   string
		reason     string
		delay      int
		checkAfter func(t *testing.T, d FlowDecision)
	}{
		{name: "terminal aborts", initial: st(core.Completed, ""), proposed: propose(core.Running), status: Abort, reason: "already terminated"},
		{name: "manual retry needs a deployment", initial: st(core.Failed, ""), proposed: propose(core.Scheduled, named("AwaitingRetry")), status: Abort, reason: "without an associated deployment"},
		{name: "manual retry with deployment", initial: st(core.Failed, ""), run: func(r *core.FlowRun) {
			r.DeploymentID = &dep
			r.EmpiricalPolicy.PauseKeys = []string{"k"}
			r.EmpiricalPolicy.Resuming = true
		}, proposed: propose(core.Scheduled, named("AwaitingRetry")), status: Accept, wantType: core.Scheduled, wantName: "AwaitingRetry",
			checkAfter: func(t *testing.T, d FlowDecision) {
				if len(d.Run.EmpiricalPolicy.PauseKeys) != 0 || d.Run.EmpiricalPolicy.Resuming {
					t.Fatal("pause bookkeeping not reset on manual retry")
				}
				if d.Run.EndTime != nil {
					t.Fatal("end_time kept after leaving a terminal state")
				}
			}},
		{name: "cancelling rejects running", initial: st(core.Cancelling, ""), proposed: propose(core.Running), status: Reject, wantType: core.Cancelling},
		{name: "cancelling to cancelled", initial: st(core.Cancelling, ""), proposed: propose(core.Cancelled), status: Accept, wantType: core.Cancelled},
		{name: "pause without state", initial: nil, proposed: propose(core.Paused), status: Abort, reason: "no state"},
		{name: "pause when not running", initial: st(core.Pending, ""), proposed: propose(core.Paused), status: Reject, wantType: core.Pending},
		{name: "pause running records key", initial: st(core.Running, ""), proposed: propose(core.Paused, func(p *core.StateCreate) { p.StateDetails.PauseKey = ptr("1") }),
			status: Accept, wantType: core.Paused, checkAfter: func(t *testing.T, d FlowDecision) {
				if len(d.Run.EmpiricalPolicy.PauseKeys) != 1 || d.Run.EmpiricalPolicy.PauseKeys[0] != "1" {
					t.Fatalf("pause keys %v", d.Run.EmpiricalPolicy.PauseKeys)
				}
			}},
		{name: "pause key fired already", initial: st(core.Running, ""), run: func(r *core.FlowRun) { r.EmpiricalPolicy.PauseKeys = []string{"1"} },
			proposed: propose(core.Paused, func(p *core.StateCreate) { p.StateDetails.PauseKey = ptr("1") }), status: Reject, reason: "already fired"},
		{name: "pause with reschedule needs deployment", initial: st(core.Running, ""), proposed: propose(core.Paused, func(p *core.StateCreate) { p.StateDetails.PauseReschedule = true }),
			status: Abort, reason: "without a deployment"},
		{name: "resume to running", initial: st(core.Paused, ""), proposed: propose(core.Running), status: Accept, wantType: core.Running,
			checkAfter: func(t *testing.T, d FlowDecision) {
				// As in 2.7.12: the resume itself is counted (the universal
				// transforms run before the rule's after-step), and the rule
				// then marks the run as resuming so the next RUNNING (after a
				// rescheduled resume) is not counted again.
				if d.Run.RunCount != 1 || !d.Run.EmpiricalPolicy.Resuming {
					t.Fatalf("run_count %d resuming %v", d.Run.RunCount, d.Run.EmpiricalPolicy.Resuming)
				}
				next := DecideFlow(FlowInput{Run: d.Run, Proposed: propose(core.Completed), Now: now})
				if next.Run.EmpiricalPolicy.Resuming {
					t.Fatal("resuming flag must be cleared on a terminal state")
				}
			}},
		{name: "paused to pending rejected", initial: st(core.Paused, ""), proposed: propose(core.Pending), status: Reject, wantType: core.Paused},
		{name: "expired pause fails", initial: st(core.Paused, "", func(s *core.State) { s.StateDetails.PauseTimeout = past }), proposed: propose(core.Running),
			status: Reject, wantType: core.Failed, reason: "timed out"},
		{name: "copy scheduled time to pending", initial: st(core.Scheduled, "", func(s *core.State) { s.StateDetails.ScheduledTime = past }), proposed: propose(core.Pending),
			status: Accept, wantType: core.Pending, checkAfter: func(t *testing.T, d FlowDecision) {
				if d.Result.State.StateDetails.ScheduledTime == nil || !d.Result.State.StateDetails.ScheduledTime.Equal(past.Time) {
					t.Fatal("scheduled_time not copied")
				}
				if d.Run.NextScheduledStartTime != nil {
					t.Fatal("next_scheduled_start_time kept after leaving SCHEDULED")
				}
			}},
		{name: "wait for scheduled time", initial: st(core.Pending, "", func(s *core.State) { s.StateDetails.ScheduledTime = future }), proposed: propose(core.Running),
			status: Wait, delay: 90, reason: "in the future"},
		{name: "scheduled time passed", initial: st(core.Scheduled, "", func(s *core.State) { s.StateDetails.ScheduledTime = past }), proposed: propose(core.Running),
			status: Accept, wantType: core.Running},
		{name: "retry a failed flow", initial: st(core.Running, ""), run: func(r *core.FlowRun) {
			r.RunCount = 1
			r.EmpiricalPolicy.Retries = ptr(2)
			r.EmpiricalPolicy.RetryDelay = ptr(30)
		},
			proposed: propose(core.Failed, func(p *core.StateCreate) { p.Message = ptr("boom") }), status: Reject, wantType: core.Scheduled, wantName: "AwaitingRetry",
			checkAfter: func(t *testing.T, d FlowDecision) {
				s := d.Result.State
				if s.StateDetails.ScheduledTime == nil || !s.StateDetails.ScheduledTime.Equal(now.Add(30*time.Second)) || *s.Message != "boom" {
					t.Fatalf("retry state %+v", s)
				}
				if d.Run.NextScheduledStartTime == nil || d.Run.TotalRunTime <= 0 {
					t.Fatal("retry bookkeeping")
				}
			}},
		{name: "retries exhausted", initial: st(core.Running, ""), run: func(r *core.FlowRun) { r.RunCount = 3; r.EmpiricalPolicy.Retries = ptr(2) },
			proposed: propose(core.Failed), status: Accept, wantType: core.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := flowRunIn(tt.initial)
			if tt.initial != nil && tt.initial.Type.IsTerminal() {
				run.StartTime, run.EndTime = core.TP(now.Add(-time.Hour)), core.TP(now.Add(-time.Minute))
			}
			if tt.run != nil {
				tt.run(run)
			}
			before := CopyFlowRun(run)
			d := DecideFlow(FlowInput{Run: run, Proposed: tt.proposed, Now: now})
			if d.Result.Status != tt.status {
				t.Fatalf("status %s, want %s (%v)", d.Result.Status, tt.status, d.Result.Details.Reason)
			}
			if tt.reason != "" && (d.Result.Details.Reason == nil || !strings.Contains(*d.Result.Details.Reason, tt.reason)) {
				t.Fatalf("reason %v, want %q", d.Result.Details.Reason, tt.reason)
			}
			if tt.delay != 0 && (d.Result.Details.DelaySeconds == nil || *d.Result.Details.DelaySeconds != tt.delay) {
				t.Fatalf("delay %v, want %d", d.Result.Details.DelaySeconds, tt.delay)
			}
			if tt.wantType != "" && (d.Result.State == nil || d.Result.State.Type != tt.wantType) {
				t.Fatalf("state %+v, want type %s", d.Result.State, tt.wantType)
			}
			if tt.wantName != "" && d.Result.State.Name != tt.wantName {
				t.Fatalf("state name %q, want %q", d.Result.State.Name, tt.wantName)
			}
			written := d.Run != nil
			if written != (tt.status == Accept || (tt.status == Reject && d.Result.State != nil && d.Result.State != run.State)) {
				t.Fatalf("written=%v for %s", written, tt.status)
			}
			if run.Version != before.Version || len(run.EmpiricalPolicy.PauseKeys) != len(before.EmpiricalPolicy.PauseKeys) {
				t.Fatal("DecideFlow mutated its input")
			}
			if tt.checkAfter != nil {
				tt.checkAfter(t, d)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestUniversalTransformsOnFlowLifecycle(t *testing.T) {
	t.Parallel()
	run := flowRunIn(nil)
	step := func(p core.StateCreate, at time.Time, force bool) FlowDecision {
		t.Helper()
		d := DecideFlow(FlowInput{Run: run, Proposed: p, Now: at, Force: force})
		if d.Run == nil {
			t.Fatalf("%s not written: %s", p.Type, d.Result.Status)
		}
		run = d.Run
		return d
	}
	sched := now.Add(time.Minute)
	step(propose(core.Scheduled, func(p *core.StateCreate) { p.StateDetails.ScheduledTime = core.TP(sched) }), now, true)
	if !run.ExpectedStartTime.Equal(sched) || !run.NextScheduledStartTime.Equal(sched) || *run.StateName != "Scheduled" {
		t.Fatalf("scheduled bookkeeping: %+v", run.RunTiming)
	}
	step(propose(core.Pending), sched, false)
	if run.NextScheduledStartTime != nil || !run.ExpectedStartTime.Equal(sched) {
		t.Fatal("pending bookkeeping")
	}
	d := step(propose(core.Running), sched.Add(time.Second), false)
	if run.RunCount != 1 || !run.StartTime.Equal(sched.Add(time.Second)) || *d.Result.State.StateDetails.FlowRunID != run.ID {
		t.Fatalf("running bookkeeping: %+v", run.RunTiming)
	}
	step(propose(core.Completed), sched.Add(11*time.Second), false)
	if !run.EndTime.Equal(sched.Add(11*time.Second)) || run.TotalRunTime != core.Duration(10*time.Second) {
		t.Fatalf("completed bookkeeping: end %v total %v", run.EndTime, run.TotalRunTime)
	}
	// Forced, terminal -> running (e.g. an operator) clears end_time and counts a run.
	step(propose(core.Running), sched.Add(20*time.Second), true)
	if run.EndTime != nil || run.RunCount != 2 || !run.StartTime.Equal(sched.Add(time.Second)) {
		t.Fatal("forced rerun bookkeeping")
	}
}

func TestSubflowMirror(t *testing.T) {
	t.Parallel()
	parent := uuid.New()
	run := flowRunIn(st(core.Pending, ""))
	run.ParentTaskRunID = &parent
	d := DecideFlow(FlowInput{Run: run, Proposed: propose(core.Running), Now: now})
	if d.ParentTaskState == nil || *d.ParentTaskState.StateDetails.ChildFlowRunID != run.ID || d.ParentTaskState.Type != core.Running {
		t.Fatalf("mirror %+v", d.ParentTaskState)
	}
	if *d.Result.State.StateDetails.TaskRunID != parent {
		t.Fatal("subflow state must reference the parent task run")
	}
	if d.ParentTaskState.ID == d.Result.State.ID {
		t.Fatal("mirror must be a distinct state")
	}
}

func TestLegacyClientsCountResumedRuns(t *testing.T) {
	t.Parallel()
	run := flowRunIn(st(core.Paused, ""))
	run.EmpiricalPolicy.Resuming = true
	old := [3]int{0, 8, 3}
	d := DecideFlow(FlowInput{Run: run, Proposed: propose(core.Running), Now: now, APIVersion: &old})
	if d.Run.RunCount != 1 {
		t.Fatalf("0.8.3 clients count every RUNNING: %d", d.Run.RunCount)
	}
}

// ---- tasks

func taskIn(s *core.State, tags ...string) (*core.TaskRun, *core.FlowRun) {
	fr := flowRunIn(st(core.Running, ""))
	fr.RunCount = 1
	tr := &core.TaskRun{ID: uuid.New(), FlowRunID: fr.ID, Tags: tags, Version: 1}
	if s != nil {
		tr.State, tr.StateType = s, &s.Type
	}
	return tr, fr
}

func TestTaskPolicyTable(t *testing.T) {
	t.Parallel()
	cachedData := json.RawMessage(`{"type":"literal","value":42}`)
	withKey := func(p *core.StateCreate) { p.StateDetails.CacheKey = ptr("ck") }
	tests := []struct {
		name     string
		initial  *core.State
		tags     []string
		setup    func(in *TaskInput)
		proposed core.StateCreate
		force    bool
		status   Status
		wantType core.StateType
		wantName string
		reason   string
		check    func(t *testing.T, d TaskDecision, in TaskInput)
	}{
		{name: "plain run", initial: st(core.Pending, ""), proposed: propose(core.Running), status: Accept, wantType: core.Running,
			check: func(t *testing.T, d TaskDecision, in TaskInput) {
				if d.Run.RunCount != 1 || d.Run.FlowRunRunCount != 1 || *d.Result.State.StateDetails.TaskRunID != in.Run.ID || d.ReleaseSlots {
					t.Fatalf("bookkeeping %+v", d.Run)
				}
			}},
		{name: "cache hit", initial: st(core.Pending, ""), proposed: propose(core.Running, withKey),
			setup:  func(in *TaskInput) { in.Cached = st(core.Completed, "", func(s *core.State) { s.Data = cachedData }) },
			status: Reject, wantType: core.Completed, wantName: "Cached", reason: "from cache",
			check: func(t *testing.T, d TaskDecision, in TaskInput) {
				if string(d.Result.State.Data) != string(cachedData) || d.Result.State.ID == in.Cached.ID {
					t.Fatal("cached state not copied with a new id")
				}
				if len(d.AcquireSlots) != 0 || d.CacheKey != nil || !d.ReleaseSlots {
					t.Fatal("side effects of a cache hit")
				}
			}},
		{name: "refresh_cache bypasses", initial: st(core.Pending, ""), proposed: propose(core.Running, withKey, func(p *core.StateCreate) { p.StateDetails.RefreshCache = ptr(true) }),
			setup:  func(in *TaskInput) { in.Cached = st(core.Completed, "") },
			status: Accept, wantType: core.Running},
		{name: "cache insertion on completion", initial: st(core.Running, ""), proposed: propose(core.Completed, withKey, func(p *core.StateCreate) {
			p.StateDetails.CacheExpiration = core.TP(now.Add(time.Hour))
		}), status: Accept, wantType: core.Completed, check: func(t *testing.T, d TaskDecision, _ TaskInput) {
			if d.CacheKey == nil || *d.CacheKey != "ck" || d.CacheExpiration == nil || !d.CacheExpiration.Equal(now.Add(time.Hour)) || !d.ReleaseSlots {
				t.Fatalf("cache insert %v %v", d.CacheKey, d.CacheExpiration)
			}
		}},
		{name: "terminal task aborts", initial: st(core.Completed, ""), proposed: propose(core.Running), status: Abort, reason: "already terminated"},
		{name: "failed task reruns when the flow retries", initial: st(core.Failed, ""), setup: func(in *TaskInput) {
			in.Run.RunCount, in.Run.FlowRunRunCount, in.FlowRun.RunCount = 1, 1, 2
		}, proposed: propose(core.Running), status: Accept, wantType: core.Running, wantName: "Retrying",
			check: func(t *testing.T, d TaskDecision, _ TaskInput) {
				if d.Run.RunCount != 1 || d.Run.FlowRunRunCount != 2 {
					t.Fatalf("run_count %d flow_run_run_count %d", d.Run.RunCount, d.Run.FlowRunRunCount)
				}
			}},
		{name: "no parent state", initial: st(core.Pending, ""), setup: func(in *TaskInput) { in.FlowRun = nil }, proposed: propose(core.Running), status: Abort, reason: "enclosing flow"},
		{name: "paused parent", initial: st(core.Pending, ""), setup: func(in *TaskInput) { in.FlowRun.State = st(core.Paused, "") },
			proposed: propose(core.Running), status: Reject, wantType: core.Paused, wantName: "NotReady"},
		{name: "completed parent", initial: st(core.Pending, ""), setup: func(in *TaskInput) { in.FlowRun.State = st(core.Completed, "") },
			proposed: propose(core.Running), status: Abort, reason: "enclosing flow"},
		{name: "slot limit zero", initial: st(core.Pending, ""), tags: []string{"db"}, setup: func(in *TaskInput) {
			in.Limits = []*core.ConcurrencyLimit{{Tag: "db", ConcurrencyLimit: 0}}
		}, proposed: propose(core.Running), status: Abort, reason: "deadlock"},
		{name: "slots full", initial: st(core.Pending, ""), tags: []string{"db"}, setup: func(in *TaskInput) {
			in.Limits = []*core.ConcurrencyLimit{{Tag: "db", ConcurrencyLimit: 1, ActiveSlots: []uuid.UUID{uuid.New()}}}
		}, proposed: propose(core.Running), status: Wait, reason: "db tag has been reached",
			check: func(t *testing.T, d TaskDecision, _ TaskInput) {
				if *d.Result.Details.DelaySeconds != SlotWait {
					t.Fatal("slot wait")
				}
			}},
		{name: "slots claimed for every tag", initial: st(core.Pending, ""), tags: []string{"a", "b"}, setup: func(in *TaskInput) {
			in.Limits = []*core.ConcurrencyLimit{{Tag: "a", ConcurrencyLimit: 1, ActiveSlots: []uuid.UUID{in.Run.ID}}, {Tag: "b", ConcurrencyLimit: 2}}
		}, proposed: propose(core.Running), status: Accept, check: func(t *testing.T, d TaskDecision, _ TaskInput) {
			if len(d.AcquireSlots) != 2 || d.AcquireSlots[0] != (store.SlotClaim{Tag: "a", Limit: 1}) {
				t.Fatalf("claims %v", d.AcquireSlots)
			}
		}},
		{name: "claims dropped when the transition waits", initial: st(core.Scheduled, "", func(s *core.State) { s.StateDetails.ScheduledTime = core.TP(now.Add(time.Hour)) }),
			tags: []string{"a"}, setup: func(in *TaskInput) { in.Limits = []*core.ConcurrencyLimit{{Tag: "a", ConcurrencyLimit: 5}} },
			proposed: propose(core.Running), status: Wait, check: func(t *testing.T, d TaskDecision, _ TaskInput) {
				if len(d.AcquireSlots) != 0 {
					t.Fatal("claim kept for a delayed transition")
				}
			}},
		{name: "retry with list delays", initial: st(core.Running, ""), setup: func(in *TaskInput) {
			in.Run.RunCount = 2
			in.Run.EmpiricalPolicy.Retries = ptr(3)
			in.Run.EmpiricalPolicy.RetryDelay = json.RawMessage(`[1, 7, 9]`)
		}, proposed: propose(core.Failed), status: Reject, wantType: core.Scheduled, wantName: "AwaitingRetry",
			check: func(t *testing.T, d TaskDecision, _ TaskInput) {
				if !d.Result.State.StateDetails.ScheduledTime.Equal(now.Add(7 * time.Second)) {
					t.Fatalf("delay for attempt 2: %v", d.Result.State.StateDetails.ScheduledTime)
				}
				if !d.ReleaseSlots {
					t.Fatal("AwaitingRetry must release slots")
				}
			}},
		{name: "retry jitter stays in bounds", initial: st(core.Running, ""), setup: func(in *TaskInput) {
			in.Run.RunCount = 1
			in.Run.EmpiricalPolicy.Retries = ptr(1)
			in.Run.EmpiricalPolicy.RetryDelay = json.RawMessage(`10`)
			in.Run.EmpiricalPolicy.RetryJitterFactor = ptr(core.Float(0.5))
			in.Jitter = func() float64 { return 0.999 }
		}, proposed: propose(core.Failed), status: Reject, check: func(t *testing.T, d TaskDecision, _ TaskInput) {
			delay := d.Result.State.StateDetails.ScheduledTime.Sub(now)
			if delay < 5*time.Second || delay > 15*time.Second {
				t.Fatalf("jittered delay %v outside [5s, 15s]", delay)
			}
		}},
		{name: "retries exhausted", initial: st(core.Running, ""), setup: func(in *TaskInput) { in.Run.RunCount = 2; in.Run.EmpiricalPolicy.Retries = ptr(1) },
			proposed: propose(core.Failed), status: Accept, wantType: core.Failed},
		{name: "rerun after AwaitingRetry is Retrying", initial: st(core.Scheduled, "AwaitingRetry", func(s *core.State) { s.StateDetails.ScheduledTime = core.TP(now.Add(-time.Second)) }),
			setup: func(in *TaskInput) { in.Run.RunCount = 1 }, proposed: propose(core.Running), status: Accept, wantName: "Retrying"},
		{name: "rerun otherwise is Rerunning", initial: st(core.Pending, ""), setup: func(in *TaskInput) { in.Run.RunCount = 1 },
			proposed: propose(core.Running), status: Accept, wantName: "Rerunning"},
		{name: "forced crash releases slots", initial: st(core.Running, ""), proposed: propose(core.Crashed), force: true, status: Accept, wantType: core.Crashed,
			check: func(t *testing.T, d TaskDecision, _ TaskInput) {
				if !d.ReleaseSlots {
					t.Fatal("forced terminal state must release slots")
				}
			}},
		{name: "forced skips rules", initial: st(core.Completed, ""), proposed: propose(core.Running), force: true, status: Accept, wantType: core.Running},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, fr := taskIn(tt.initial, tt.tags...)
			in := TaskInput{Run: tr, FlowRun: fr, Proposed: tt.proposed, Force: tt.force, Now: now}
			if tt.setup != nil {
				tt.setup(&in)
			}
			d := DecideTask(in)
			if d.Result.Status != tt.status {
				t.Fatalf("status %s, want %s (%v)", d.Result.Status, tt.status, d.Result.Details.Reason)
			}
			if tt.reason != "" && (d.Result.Details.Reason == nil || !strings.Contains(*d.Result.Details.Reason, tt.reason)) {
				t.Fatalf("reason %v, want %q", d.Result.Details.Reason, tt.reason)
			}
			if tt.wantType != "" && d.Result.State.Type != tt.wantType {
				t.Fatalf("type %s, want %s", d.Result.State.Type, tt.wantType)
			}
			if tt.wantName != "" && d.Result.State.Name != tt.wantName {
				t.Fatalf("name %q, want %q", d.Result.State.Name, tt.wantName)
			}
			if (tt.status == Wait || tt.status == Abort) && d.Run != nil {
				t.Fatal("WAIT/ABORT must write nothing")
			}
			if tt.check != nil {
				tt.check(t, d, in)
			}
		})
	}
}

func TestResultJSONShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status Status
		want   string
	}{
		{Accept, `"details":{"type":"accept_details"}`},
		{Reject, `"details":{"type":"reject_details","reason":"r"}`},
		{Abort, `"details":{"type":"abort_details","reason":"r"}`},
		{Wait, `"details":{"type":"wait_details","reason":"r","delay_seconds":5}`},
	} {
		b, _ := json.Marshal(Result{Status: tc.status, Details: details(tc.status, "r", 5)})
		if tc.status == Accept {
			b, _ = json.Marshal(Result{Status: tc.status, Details: details(tc.status, "", 0)})
		}
		if !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %s lacks %s", tc.status, b, tc.want)
		}
	}
}

func TestParseAPIVersion(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{"0.8.4": true, "1.0.0": true, "0.8": false, "banana": false, "0.8.4.1": false, "0.8.x": false, " 0.8.4": false, "": false} {
		v, err := ParseAPIVersion(in)
		if (err == nil) != ok {
			t.Errorf("ParseAPIVersion(%q) = %v, %v", in, v, err)
		}
	}
}

func FuzzDecide(f *testing.F) {
	f.Add(uint8(0), uint8(2), uint8(0), int64(0), uint8(1), false, uint8(0))
	f.Add(uint8(3), uint8(4), uint8(2), int64(-60), uint8(0), true, uint8(3))
	f.Fuzz(func(t *testing.T, from, to, retries uint8, schedOffset int64, runCount uint8, force bool, limit uint8) {
		types := append([]core.StateType{noState}, core.StateTypes()...)
		fromT := types[int(from)%len(types)]
		toT := core.StateTypes()[int(to)%len(core.StateTypes())]
		var initial *core.State
		if fromT != noState {
			initial = st(fromT, "", func(s *core.State) {
				s.StateDetails.ScheduledTime = core.TP(now.Add(time.Duration(schedOffset%100000) * time.Second))
			})
		}
		fr := flowRunIn(initial)
		fr.RunCount = int(runCount % 5)
		fr.EmpiricalPolicy.Retries = ptr(int(retries % 4))
		fd := DecideFlow(FlowInput{Run: fr, Proposed: propose(toT), Force: force, Now: now})
		checkInvariants(t, fd.Result, fd.Run != nil, func() *core.State { return fd.Run.State }, fd.Run != nil && fd.Run.RunCount < 0)
		if fd.Run != nil && !force && fd.Run.EndTime != nil && fd.Run.StartTime != nil && fd.Run.EndTime.Before(fd.Run.StartTime.Time) {
			t.Fatal("end before start")
		}
		tr, parent := taskIn(initial, "tag")
		tr.RunCount = int(runCount % 5)
		td := DecideTask(TaskInput{Run: tr, FlowRun: parent, Proposed: propose(toT), Force: force, Now: now,
			Limits: []*core.ConcurrencyLimit{{Tag: "tag", ConcurrencyLimit: int(limit % 3)}}})
		checkInvariants(t, td.Result, td.Run != nil, func() *core.State { return td.Run.State }, td.Run != nil && td.Run.RunCount < 0)
		if len(td.AcquireSlots) > 0 && (td.Run == nil || td.Run.State.Type != core.Running) {
			t.Fatal("slot claimed without entering RUNNING")
		}
	})
}

func checkInvariants(t *testing.T, res Result, written bool, newState func() *core.State, negative bool) {
	t.Helper()
	switch res.Status {
	case Wait, Abort:
		if written {
			t.Fatalf("%s wrote a state", res.Status)
		}
	case Accept:
		if !written || res.State == nil || newState() != res.State {
			t.Fatal("ACCEPT without the written state")
		}
	}
	if written && (newState().ID == uuid.Nil || newState().Timestamp.IsZero()) {
		t.Fatal("state without id or timestamp")
	}
	if negative {
		t.Fatal("negative run count")
	}
}
