package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
)

// terminalStates lists every terminal state; the tests below loop over it so
// a new terminal state is covered without a change here.
var terminalStates = []core.StateType{core.Completed, core.Failed, core.Cancelled, core.Crashed}

func upsertLimit(t *testing.T, s store.Store, tag string, n int) {
	t.Helper()
	now := core.T(t0)
	_, _, err := s.UpsertConcurrencyLimit(ctx, &core.ConcurrencyLimit{ID: uuid.New(), Created: now, Updated: now, Tag: tag, ConcurrencyLimit: n})
	must(t, err)
}

func activeSlots(t *testing.T, s store.Store, tag string) []uuid.UUID {
	t.Helper()
	l, err := s.GetConcurrencyLimitByTag(ctx, tag)
	must(t, err)
	return l.ActiveSlots
}

// moveRun commits a flow-run transition into typ, as the orchestrator would.
func moveRun(t *testing.T, s store.Store, r *core.FlowRun, typ core.StateType) {
	t.Helper()
	cur, err := s.GetFlowRun(ctx, r.ID)
	must(t, err)
	next := *cur
	st := state(typ, t0.Add(time.Second))
	name := typ.DefaultName()
	next.State, next.StateID, next.StateType, next.StateName = st, &st.ID, &st.Type, &name
	must(t, s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true}))
}

// testSlotsDieWithFlowRun: a slot is a lease of a RUNNING task run of a
// flow run that has not finished. The flow run's terminal write frees every
// slot its task runs hold, in that same write, whatever the task runs'
// states say.
func testSlotsDieWithFlowRun(t *testing.T, s store.Store) {
	for i, typ := range terminalStates {
		tag := "tag-" + strings.ToLower(string(typ))
		upsertLimit(t, s, tag, 1)
		f := newFlow(t, s, "f"+string(rune('a'+i)))
		r := newRun(t, s, f, core.Running)
		held := newTask(t, s, r, "held", core.Pending, tag)
		must(t, moveTask(t, s, held, core.Running, store.SlotClaim{Tag: tag, Limit: 1}))
		if got := activeSlots(t, s, tag); len(got) != 1 {
			t.Fatalf("%s: slots before = %v", typ, got)
		}
		moveRun(t, s, r, typ)
		if got := activeSlots(t, s, tag); len(got) != 0 {
			t.Fatalf("flow run %s: its RUNNING task run still holds %v", typ, got)
		}
		// Another flow's task gets the freed slot.
		r2 := newRun(t, s, f, core.Running)
		next := newTask(t, s, r2, "next", core.Pending, tag)
		if err := moveTask(t, s, next, core.Running, store.SlotClaim{Tag: tag, Limit: 1}); err != nil {
			t.Fatalf("flow run %s: claim after its end: %v", typ, err)
		}
	}
}

// testFlowTerminationClosesTasks drives the orchestrator: forcing a flow run
// into a terminal state frees its task runs' slots and marks the task runs
// that cannot go on (orchestration.ChildTaskClosure documents the choice),
// so a task of another flow run is ACCEPTed, not told to WAIT.
func testFlowTerminationClosesTasks(t *testing.T, s store.Store) {
	clock := t0
	o := &orchestration.Orchestrator{Store: s, Now: func() time.Time { return clock }}
	f := newFlow(t, s, "f")
	running := func(tags ...string) (*core.FlowRun, *core.TaskRun) {
		t.Helper()
		r := &core.FlowRun{ID: uuid.New(), Created: core.T(clock), Updated: core.T(clock), Name: "r-" + uuid.NewString()[:8], FlowID: f.ID,
			Parameters: []byte(`{}`), Context: []byte(`{}`), Tags: []string{}}
		_, _, err := o.CreateFlowRun(ctx, r, &core.StateCreate{Type: core.Running})
		must(t, err)
		tr := &core.TaskRun{ID: uuid.New(), Created: core.T(clock), Updated: core.T(clock), Name: "t", FlowRunID: r.ID, TaskKey: "t-" + uuid.NewString()[:8],
			DynamicKey: "0", Tags: tags}
		_, _, err = o.CreateTaskRun(ctx, tr, nil)
		must(t, err)
		res, _, err := o.SetTaskRunState(ctx, tr.ID, core.StateCreate{Type: core.Running}, false, nil)
		must(t, err)
		if res.Status != orchestration.Accept {
			t.Fatalf("first task: %s %+v", res.Status, res.Details)
		}
		return r, tr
	}
	for _, typ := range terminalStates {
		t.Run(string(typ), func(t *testing.T) {
			tag := "lim-" + strings.ToLower(string(typ))
			upsertLimit(t, s, tag, 1)
			r, tr := running(tag)
			// A PENDING task run holds nothing; only a CANCELLED parent
			// closes it (2.7's cancellation cleanup).
			pending := &core.TaskRun{ID: uuid.New(), Created: core.T(clock), Updated: core.T(clock), Name: "p", FlowRunID: r.ID, TaskKey: "p",
				DynamicKey: "0", Tags: []string{}}
			_, _, err := o.CreateTaskRun(ctx, pending, nil)
			must(t, err)
			clock = clock.Add(time.Minute)
			res, written, err := o.SetFlowRunState(ctx, r.ID, core.StateCreate{Type: typ}, true, nil)
			must(t, err)
			if !written || res.Status != orchestration.Accept {
				t.Fatalf("flow run -> %s: %s", typ, res.Status)
			}
			if got := activeSlots(t, s, tag); len(got) != 0 {
				t.Fatalf("flow run %s: slots still held %v", typ, got)
			}
			want := orchestration.ChildTaskClosure(typ)
			got, err := s.GetTaskRun(ctx, tr.ID)
			must(t, err)
			if got.StateType == nil || *got.StateType != want.Type || got.State.Message == nil || *got.State.Message == "" {
				t.Fatalf("running task run after flow %s: %v %+v, want %s with a message", typ, got.StateType, got.State, want.Type)
			}
			if got.EndTime == nil {
				t.Fatal("closed task run has no end_time")
			}
			gotP, err := s.GetTaskRun(ctx, pending.ID)
			must(t, err)
			if pendingClosed := *gotP.StateType != core.Pending; pendingClosed != want.ClosesPending {
				t.Fatalf("pending task run after flow %s: %s", typ, *gotP.StateType)
			}
			_, other := running(tag) // ACCEPTed, else running() fails the test
			_ = other
		})
	}
	// 2.7's cancellation cleanup cancels subflows too: a subflow run whose
	// parent task run belongs to the cancelled flow run is cancelled, and its
	// own task runs with it.
	t.Run("CANCELLED subflow", func(t *testing.T) {
		upsertLimit(t, s, "sub", 1)
		parent, parentTask := running()
		sub := &core.FlowRun{ID: uuid.New(), Created: core.T(clock), Updated: core.T(clock), Name: "sub", FlowID: f.ID,
			ParentTaskRunID: &parentTask.ID, Parameters: []byte(`{}`), Context: []byte(`{}`), Tags: []string{}}
		_, _, err := o.CreateFlowRun(ctx, sub, &core.StateCreate{Type: core.Running})
		must(t, err)
		subTask := &core.TaskRun{ID: uuid.New(), Created: core.T(clock), Updated: core.T(clock), Name: "st", FlowRunID: sub.ID, TaskKey: "st",
			DynamicKey: "0", Tags: []string{"sub"}}
		_, _, err = o.CreateTaskRun(ctx, subTask, nil)
		must(t, err)
		res, _, err := o.SetTaskRunState(ctx, subTask.ID, core.StateCreate{Type: core.Running}, false, nil)
		must(t, err)
		if res.Status != orchestration.Accept {
			t.Fatalf("subflow task: %s", res.Status)
		}
		_, _, err = o.SetFlowRunState(ctx, parent.ID, core.StateCreate{Type: core.Cancelled}, true, nil)
		must(t, err)
		for id, what := range map[uuid.UUID]string{sub.ID: "subflow run"} {
			got, err := s.GetFlowRun(ctx, id)
			must(t, err)
			if *got.StateType != core.Cancelled {
				t.Fatalf("%s is %s after its parent flow run was cancelled", what, *got.StateType)
			}
		}
		for id, what := range map[uuid.UUID]string{parentTask.ID: "parent task run", subTask.ID: "subflow's task run"} {
			got, err := s.GetTaskRun(ctx, id)
			must(t, err)
			if *got.StateType != core.Cancelled {
				t.Fatalf("%s is %s after the flow run was cancelled", what, *got.StateType)
			}
		}
		if got := activeSlots(t, s, "sub"); len(got) != 0 {
			t.Fatalf("subflow's task still holds %v", got)
		}
	})
}

// testCrashedRunsFreeSlots: the crashed-runs service, once it knows a
// run's agent is gone, frees the run's slots in the same tick.
func testCrashedRunsFreeSlots(t *testing.T, s store.Store) {
	clock := t0
	o := &orchestration.Orchestrator{Store: s, Now: func() time.Time { return clock }}
	upsertLimit(t, s, "gpu", 1)
	q := &core.WorkQueue{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: "q"}
	must(t, s.CreateWorkQueue(ctx, q))
	must(t, s.TouchWorkQueue(ctx, q.ID, t0))
	f := newFlow(t, s, "f")
	qn := "q"
	r := &core.FlowRun{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: "r", FlowID: f.ID, WorkQueueName: &qn,
		Parameters: []byte(`{}`), Context: []byte(`{}`), Tags: []string{}}
	_, _, err := o.CreateFlowRun(ctx, r, &core.StateCreate{Type: core.Running})
	must(t, err)
	tr := &core.TaskRun{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: "t", FlowRunID: r.ID, TaskKey: "t", DynamicKey: "0", Tags: []string{"gpu"}}
	_, _, err = o.CreateTaskRun(ctx, tr, nil)
	must(t, err)
	res, _, err := o.SetTaskRunState(ctx, tr.ID, core.StateCreate{Type: core.Running}, false, nil)
	must(t, err)
	if res.Status != orchestration.Accept || len(activeSlots(t, s, "gpu")) != 1 {
		t.Fatalf("setup: %s %v", res.Status, activeSlots(t, s, "gpu"))
	}
	svc := &services.CrashedRuns{Orch: o, Deadline: time.Minute, Now: func() time.Time { return clock }}
	clock = t0.Add(30 * time.Second)
	must(t, svc.RunOnce(ctx))
	if len(activeSlots(t, s, "gpu")) != 1 {
		t.Fatal("slot freed while the agent is alive")
	}
	clock = t0.Add(time.Minute + time.Second) // the crash becomes known now
	must(t, svc.RunOnce(ctx))
	if got := activeSlots(t, s, "gpu"); len(got) != 0 {
		t.Fatalf("crashed run's slot still held: %v", got)
	}
	got, err := s.GetTaskRun(ctx, tr.ID)
	must(t, err)
	if *got.StateType != core.Crashed {
		t.Fatalf("task run of a crashed flow run is %s", *got.StateType)
	}
}

// testUpdatedMoves: 2.7 bumps `updated` on every state change and on PATCH;
// every backend must store and return the bumped value.
func testUpdatedMoves(t *testing.T, s store.Store) {
	clock := t0
	o := &orchestration.Orchestrator{Store: s, Now: func() time.Time { return clock }}
	f := newFlow(t, s, "f")
	r := &core.FlowRun{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: "r", FlowID: f.ID,
		Parameters: []byte(`{}`), Context: []byte(`{}`), Tags: []string{}}
	_, _, err := o.CreateFlowRun(ctx, r, nil)
	must(t, err)
	tr := &core.TaskRun{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: "t", FlowRunID: r.ID, TaskKey: "t", DynamicKey: "0", Tags: []string{}}
	_, _, err = o.CreateTaskRun(ctx, tr, nil)
	must(t, err)
	updated := func(what string) (time.Time, time.Time) {
		t.Helper()
		fr, err := s.GetFlowRun(ctx, r.ID)
		must(t, err)
		tk, err := s.GetTaskRun(ctx, tr.ID)
		must(t, err)
		if !fr.Created.Equal(t0) || !tk.Created.Equal(t0) {
			t.Fatalf("%s: created moved: %v %v", what, fr.Created, tk.Created)
		}
		return fr.Updated.Time, tk.Updated.Time
	}
	steps := []struct {
		name string
		do   func()
		flow bool // which run the step changes
	}{
		{"flow run RUNNING", func() { _, _, err = o.SetFlowRunState(ctx, r.ID, core.StateCreate{Type: core.Running}, false, nil) }, true},
		{"task run RUNNING", func() { _, _, err = o.SetTaskRunState(ctx, tr.ID, core.StateCreate{Type: core.Running}, false, nil) }, false},
		{"task run COMPLETED", func() { _, _, err = o.SetTaskRunState(ctx, tr.ID, core.StateCreate{Type: core.Completed}, false, nil) }, false},
		{"flow run PATCH", func() {
			name := "renamed"
			err = s.UpdateFlowRun(ctx, r.ID, &store.FlowRunUpdate{Name: &name}, clock)
		}, true},
		{"task run PATCH", func() { err = s.UpdateTaskRunName(ctx, tr.ID, "renamed", clock) }, false},
		{"flow run COMPLETED", func() { _, _, err = o.SetFlowRunState(ctx, r.ID, core.StateCreate{Type: core.Completed}, false, nil) }, true},
	}
	for _, st := range steps {
		beforeF, beforeT := updated(st.name)
		clock = clock.Add(time.Minute)
		st.do()
		must(t, err)
		gotF, gotT := updated(st.name)
		want, got, other, otherBefore := clock, gotT, gotF, beforeF
		if st.flow {
			got, other, otherBefore = gotF, gotT, beforeT
		}
		if !got.Equal(want) {
			t.Fatalf("%s: updated = %v, want %v", st.name, got, want)
		}
		if !other.Equal(otherBefore) {
			t.Fatalf("%s: the other run's updated moved %v -> %v", st.name, otherBefore, other)
		}
	}
}
