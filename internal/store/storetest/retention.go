package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// finishRun commits a transition of r into typ at `at`, keeping the run's
// start/end bookkeeping as the orchestrator does (a run that started gets
// an end time when it finishes; one that never started gets none).
func finishRun(t *testing.T, s store.Store, r *core.FlowRun, typ core.StateType, at time.Time, notify ...*core.FlowRunNotificationPolicy) *core.FlowRun {
	t.Helper()
	cur, err := s.GetFlowRun(ctx, r.ID)
	must(t, err)
	next := *cur
	st := state(typ, at)
	name := typ.DefaultName()
	next.State, next.StateID, next.StateType, next.StateName = st, &st.ID, &st.Type, &name
	if typ == core.Running && next.StartTime == nil {
		next.StartTime = core.TP(at)
	}
	if typ.IsTerminal() && next.StartTime != nil {
		next.EndTime = core.TP(at)
	}
	tr := &store.FlowRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true}
	for _, p := range notify {
		tr.Notifications = append(tr.Notifications, core.NewNotification(p, r.ID, st, core.T(at)))
	}
	must(t, s.CommitFlowRunTransition(ctx, tr))
	out, err := s.GetFlowRun(ctx, r.ID)
	must(t, err)
	return out
}

// retentionFixture is a store with runs on both sides of a cutoff.
type retentionFixture struct {
	cutoff time.Time
	// old are finished before the cutoff (they go); oldTasks are theirs.
	old, oldTasks []uuid.UUID
	oldStates     []uuid.UUID
	cacheKey      string
	// kept must all survive.
	keptRuns, keptTasks []uuid.UUID
	deployment, block   uuid.UUID
	flow                uuid.UUID
	want                store.PruneResult // what a whole prune deletes
}

func newRetentionFixture(t *testing.T, s store.Store) *retentionFixture {
	t.Helper()
	fx := &retentionFixture{cutoff: t0.Add(70 * 24 * time.Hour), cacheKey: "retention-key"}
	f := newFlow(t, s, "retention")
	fx.flow = f.ID
	d := newDeployment(t, s, f, "nightly")
	fx.deployment = d.ID
	now := core.T(t0)
	bt := &core.BlockType{ID: uuid.New(), Created: now, Updated: now, Name: "Creds", Slug: "retention-creds"}
	must(t, s.CreateBlockType(ctx, bt))
	sc := &core.BlockSchema{ID: uuid.New(), Created: now, Checksum: "sha256:retention", Fields: json.RawMessage(`{}`), BlockTypeID: bt.ID, Capabilities: []string{}, Version: "1"}
	_, _, err := s.CreateBlockSchema(ctx, sc)
	must(t, err)
	doc := &store.BlockDocumentRecord{ID: uuid.New(), Created: now, Updated: now, Name: "prod", Data: []byte{1}, BlockSchemaID: sc.ID, BlockTypeID: bt.ID, References: map[string]uuid.UUID{}}
	must(t, s.CreateBlockDocument(ctx, doc))
	fx.block = doc.ID
	policy := newPolicy(t, s, true, []string{"Completed"}, nil)

	logs := func(run uuid.UUID, task *uuid.UUID, n int) {
		var ls []*core.Log
		for i := range n {
			ls = append(ls, &core.Log{ID: uuid.New(), Name: "l", Level: 20, Message: fmt.Sprint(i), Timestamp: core.T(t0.Add(time.Duration(i) * time.Second)),
				FlowRunID: run, TaskRunID: task})
		}
		must(t, s.CreateLogs(ctx, ls))
	}

	// An old completed run: Scheduled -> Running -> Completed, two task
	// runs (Pending -> Running -> Completed, one writing a cache entry),
	// logs of the run and of a task.
	a := newRun(t, s, f, core.Scheduled, func(r *core.FlowRun) { r.DeploymentID = &d.ID })
	a = finishRun(t, s, a, core.Running, t0.Add(time.Minute))
	for i := range 2 {
		tr := newTask(t, s, a, fmt.Sprintf("task-%d", i), core.Pending)
		must(t, moveTask(t, s, tr, core.Running))
		cur, err := s.GetTaskRun(ctx, tr.ID)
		must(t, err)
		next := *cur
		next.State = state(core.Completed, t0.Add(2*time.Minute))
		// The orchestrator stamps the run on its states; a cache entry is
		// tied to its task run through it.
		next.State.StateDetails.FlowRunID, next.State.StateDetails.TaskRunID = &a.ID, &tr.ID
		if i == 0 {
			next.State.StateDetails.CacheKey = &fx.cacheKey
		}
		next.StateID, next.StateType, next.StateName = &next.State.ID, &next.State.Type, &next.State.Name
		tt := &store.TaskRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true, ReleaseSlots: true}
		if i == 0 {
			tt.CacheKey = &fx.cacheKey
		}
		must(t, s.CommitTaskRunTransition(ctx, tt))
		fx.oldTasks = append(fx.oldTasks, tr.ID)
		fx.want.TaskRuns++
		fx.want.States += 3
		if i == 0 {
			logs(a.ID, &tr.ID, 2)
			fx.want.Logs += 2
		}
	}
	a = finishRun(t, s, a, core.Completed, t0.Add(time.Hour), policy)
	logs(a.ID, nil, 3)
	fx.want.Logs += 3
	fx.want.States += 3
	fx.old = append(fx.old, a.ID)

	// Old Failed (started) and Crashed / Cancelled runs that never started
	// (no end time: their terminal state's time counts).
	b := finishRun(t, s, newRun(t, s, f, core.Pending), core.Running, t0.Add(time.Minute))
	b = finishRun(t, s, b, core.Failed, t0.Add(2*time.Hour))
	fx.want.States += 3
	c := finishRun(t, s, newRun(t, s, f, core.Pending), core.Crashed, t0.Add(time.Hour))
	e := finishRun(t, s, newRun(t, s, f, core.Scheduled), core.Cancelled, t0.Add(time.Hour))
	fx.want.States += 4
	fx.old = append(fx.old, b.ID, c.ID, e.ID)
	fx.want.FlowRuns = len(fx.old)
	for _, id := range fx.old {
		hist, err := s.ListFlowRunStates(ctx, id)
		must(t, err)
		for _, st := range hist {
			fx.oldStates = append(fx.oldStates, st.ID)
		}
	}

	// Kept: a run that finished after the cutoff, a run still running
	// since long ago (with a task run and logs), an old Paused run, and the
	// scheduled runs of the active deployment.
	recent := finishRun(t, s, newRun(t, s, f, core.Pending), core.Running, fx.cutoff.Add(-time.Hour))
	recent = finishRun(t, s, recent, core.Completed, fx.cutoff.Add(time.Hour), policy)
	logs(recent.ID, nil, 2)
	running := finishRun(t, s, newRun(t, s, f, core.Pending), core.Running, t0.Add(time.Minute))
	rt := newTask(t, s, running, "still", core.Running)
	logs(running.ID, &rt.ID, 2)
	paused := finishRun(t, s, newRun(t, s, f, core.Running), core.Paused, t0.Add(time.Minute))
	_, err = s.InsertScheduledRuns(ctx, scheduledRuns(f, d, 3))
	must(t, err)
	sched, err := s.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
		DeploymentID: &store.OptIDFilter{Any: &[]uuid.UUID{d.ID}}, State: store.StateTypes(core.Scheduled)}}})
	must(t, err)
	if len(sched) != 3 {
		t.Fatalf("scheduled runs of the deployment: %d, want 3", len(sched))
	}
	fx.keptRuns = []uuid.UUID{recent.ID, running.ID, paused.ID}
	for _, r := range sched {
		fx.keptRuns = append(fx.keptRuns, r.ID)
	}
	fx.keptTasks = []uuid.UUID{rt.ID}
	return fx
}

// prune calls PruneFlowRuns until a call deletes fewer than limit runs,
// returning the total and the number of calls.
func prune(t *testing.T, s store.Store, before time.Time, limit int) (store.PruneResult, int) {
	t.Helper()
	var total store.PruneResult
	for calls := 1; ; calls++ {
		res, err := s.PruneFlowRuns(ctx, &store.PruneParams{Before: before, Limit: limit})
		must(t, err)
		total.Add(res)
		if res.FlowRuns < limit {
			return total, calls
		}
		if calls > 100 {
			t.Fatal("prune does not terminate")
		}
	}
}

func sameCounts(a, b store.PruneResult) bool {
	return a.FlowRuns == b.FlowRuns && a.TaskRuns == b.TaskRuns && a.States == b.States && a.Logs == b.Logs
}

func testRetention(t *testing.T, s store.Store) {
	fx := newRetentionFixture(t, s)
	if hit, err := s.LookupCache(ctx, fx.cacheKey, t0); err != nil || hit == nil {
		t.Fatalf("cache entry before pruning: %v, %v", hit, err)
	}

	// A dry run counts and deletes nothing.
	dry, err := s.PruneFlowRuns(ctx, &store.PruneParams{Before: fx.cutoff, Limit: 100, DryRun: true})
	must(t, err)
	if !sameCounts(*dry, fx.want) {
		t.Fatalf("dry run = %+v, want %+v", *dry, fx.want)
	}
	for _, id := range fx.old {
		if _, err := s.GetFlowRun(ctx, id); err != nil {
			t.Fatalf("dry run deleted run %s: %v", id, err)
		}
	}
	if logs, _ := s.ListLogs(ctx, &store.LogQuery{Filter: &store.LogFilter{FlowRunID: &store.IDFilter{Any: &[]uuid.UUID{fx.old[0]}}}}); len(logs) != 5 {
		t.Fatalf("dry run: %d logs of the old run left, want 5", len(logs))
	}
	if n := listNotifs(t, s, store.NotificationQuery{FlowRunIDs: fx.old}); len(n) != 1 {
		t.Fatalf("dry run: %d notifications of old runs, want 1", len(n))
	}

	// In batches of 3: 4 old runs take two calls (3 + 1).
	got, calls := prune(t, s, fx.cutoff, 3)
	if !sameCounts(got, fx.want) || calls != 2 {
		t.Fatalf("prune = %+v in %d calls, want %+v in 2", got, calls, fx.want)
	}
	if again, _ := prune(t, s, fx.cutoff, 3); !sameCounts(again, store.PruneResult{}) {
		t.Fatalf("second prune deleted %+v", again)
	}

	for _, id := range fx.old {
		wantCode(t, func() error { _, err := s.GetFlowRun(ctx, id); return err }(), core.ENotFound)
		if hist, err := s.ListFlowRunStates(ctx, id); err == nil && len(hist) > 0 {
			t.Fatalf("run %s: %d states left", id, len(hist))
		}
		logs, err := s.ListLogs(ctx, &store.LogQuery{Filter: &store.LogFilter{FlowRunID: &store.IDFilter{Any: &[]uuid.UUID{id}}}})
		must(t, err)
		if len(logs) != 0 {
			t.Fatalf("run %s: %d logs left", id, len(logs))
		}
	}
	for _, id := range fx.oldStates {
		wantCode(t, func() error { _, err := s.GetFlowRunState(ctx, id); return err }(), core.ENotFound)
	}
	for _, id := range fx.oldTasks {
		wantCode(t, func() error { _, err := s.GetTaskRun(ctx, id); return err }(), core.ENotFound)
	}
	if hit, err := s.LookupCache(ctx, fx.cacheKey, t0); err != nil || hit != nil {
		t.Fatalf("cache entry of a pruned task run: %v, %v", hit, err)
	}
	if n := listNotifs(t, s, store.NotificationQuery{FlowRunIDs: fx.old}); len(n) != 0 {
		t.Fatalf("%d notifications of pruned runs left", len(n))
	}
	if n := listNotifs(t, s, store.NotificationQuery{FlowRunIDs: fx.keptRuns}); len(n) != 1 {
		t.Fatalf("%d notifications of kept runs, want 1", len(n))
	}

	for _, id := range fx.keptRuns {
		if _, err := s.GetFlowRun(ctx, id); err != nil {
			t.Fatalf("kept run %s: %v", id, err)
		}
		if hist, err := s.ListFlowRunStates(ctx, id); err != nil || len(hist) == 0 {
			t.Fatalf("kept run %s lost its states: %v", id, err)
		}
	}
	for _, id := range fx.keptTasks {
		if _, err := s.GetTaskRun(ctx, id); err != nil {
			t.Fatalf("kept task run %s: %v", id, err)
		}
	}
	if logs, _ := s.ListLogs(ctx, &store.LogQuery{Filter: &store.LogFilter{FlowRunID: &store.IDFilter{Any: &fx.keptRuns}}}); len(logs) != 4 {
		t.Fatalf("logs of kept runs: %d, want 4", len(logs))
	}
	if _, err := s.GetDeployment(ctx, fx.deployment); err != nil {
		t.Fatalf("deployment: %v", err)
	}
	if _, err := s.GetBlockDocument(ctx, fx.block); err != nil {
		t.Fatalf("block document: %v", err)
	}
	if _, err := s.GetFlow(ctx, fx.flow); err != nil {
		t.Fatalf("flow: %v", err)
	}
	if n, err := s.CountFlowRuns(ctx, &store.RunFilters{}); err != nil || n != len(fx.keptRuns) {
		t.Fatalf("runs left: %d, %v; want %d", n, err, len(fx.keptRuns))
	}

	// A cutoff after everything takes the recent run too, never the others.
	got, _ = prune(t, s, fx.cutoff.Add(24*time.Hour), 100)
	if got.FlowRuns != 1 {
		t.Fatalf("later cutoff pruned %d runs, want 1 (the recent one)", got.FlowRuns)
	}
	if _, err := s.PruneFlowRuns(ctx, &store.PruneParams{Before: fx.cutoff, Limit: 0}); err == nil {
		t.Fatal("limit 0 accepted")
	}
}
