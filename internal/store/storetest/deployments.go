package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store"
)

// The cases below cover what deployments, schedules and work queues add to
// the contract, and payloads larger than a DynamoDB item.

func newDeployment(t *testing.T, s store.Store, flow *core.Flow, name string, mutate ...func(*core.Deployment)) *core.Deployment {
	t.Helper()
	d := &core.Deployment{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: name, FlowID: flow.ID,
		IsScheduleActive: true, Parameters: json.RawMessage(`{}`), Tags: []string{}}
	for _, m := range mutate {
		m(d)
	}
	out, created, err := s.UpsertDeployment(ctx, d)
	must(t, err)
	if !created {
		t.Fatalf("deployment %s not created", name)
	}
	return out
}

func deploymentNames(t *testing.T, s store.Store, q *store.DeploymentQuery) []string {
	t.Helper()
	ds, err := s.ListDeployments(ctx, q)
	must(t, err)
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name
	}
	return names
}

func testDeployments(t *testing.T, s store.Store) {
	f := newFlow(t, s, "etl")
	g := newFlow(t, s, "report")
	queue := "prod"
	d1 := newDeployment(t, s, f, "nightly", func(d *core.Deployment) { d.Tags = []string{"a", "b"}; d.WorkQueueName = &queue })
	newDeployment(t, s, f, "hourly", func(d *core.Deployment) { d.IsScheduleActive = false })
	newDeployment(t, s, g, "nightly")

	// Upsert by (flow, name) keeps id and created, replaces the rest.
	again := *d1
	again.ID, again.Created, again.Updated = uuid.New(), core.T(t0.Add(time.Hour)), core.T(t0.Add(time.Hour))
	again.Tags = []string{"c"}
	out, created, err := s.UpsertDeployment(ctx, &again)
	must(t, err)
	if created || out.ID != d1.ID || !out.Created.Equal(d1.Created.Time) {
		t.Fatalf("upsert: created=%v id=%v want existing %v", created, out.ID, d1.ID)
	}
	got, err := s.GetDeployment(ctx, d1.ID)
	must(t, err)
	if len(got.Tags) != 1 || got.Tags[0] != "c" {
		t.Fatalf("upsert did not replace tags: %v", got.Tags)
	}

	byName, err := s.GetDeploymentByName(ctx, "report", "nightly")
	must(t, err)
	if byName.FlowID != g.ID {
		t.Fatal("by name: wrong flow")
	}
	_, err = s.GetDeploymentByName(ctx, "report", "hourly")
	wantCode(t, err, core.ENotFound)
	_, err = s.GetDeployment(ctx, uuid.New())
	wantCode(t, err, core.ENotFound)
	wantCode(t, s.UpdateDeployment(ctx, &core.Deployment{ID: uuid.New(), FlowID: f.ID, Name: "x", Tags: []string{}}), core.ENotFound)

	got.Description = ptr("updated")
	must(t, s.UpdateDeployment(ctx, got))
	got2, _ := s.GetDeployment(ctx, d1.ID)
	if got2.Description == nil || *got2.Description != "updated" {
		t.Fatal("update lost")
	}

	for _, tt := range []struct {
		name string
		q    store.DeploymentQuery
		want string
	}{
		{"all by name asc", store.DeploymentQuery{}, "hourly,nightly,nightly"},
		{"name desc", store.DeploymentQuery{Sort: "NAME_DESC"}, "nightly,nightly,hourly"},
		{"active", store.DeploymentQuery{RunFilters: store.RunFilters{Deployments: &store.DeploymentFilter{IsScheduleActive: &store.BoolFilter{Eq: ptr(false)}}}}, "hourly"},
		{"tags", store.DeploymentQuery{RunFilters: store.RunFilters{Deployments: &store.DeploymentFilter{Tags: &store.TagsFilter{All: &[]string{"c"}}}}}, "nightly"},
		{"queue", store.DeploymentQuery{RunFilters: store.RunFilters{Deployments: &store.DeploymentFilter{WorkQueueName: &store.StringAnyFilter{Any: &[]string{"prod"}}}}}, "nightly"},
		{"by flow", store.DeploymentQuery{RunFilters: store.RunFilters{Flows: &store.FlowFilter{Name: &store.NameFilter{Any: &[]string{"etl"}}}}}, "hourly,nightly"},
		{"name like", store.DeploymentQuery{RunFilters: store.RunFilters{Deployments: &store.DeploymentFilter{Name: &store.NameFilter{Like: ptr("OUR")}}}}, "hourly"},
		{"paged", store.DeploymentQuery{Page: store.Page{Limit: 1, Offset: 1}}, "nightly"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(deploymentNames(t, s, &tt.q), ","); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	n, err := s.CountDeployments(ctx, &store.RunFilters{Flows: &store.FlowFilter{ID: &store.IDFilter{Any: &[]uuid.UUID{f.ID}}}})
	must(t, err)
	if n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}

	// Flow runs filter by their deployment's fields (EXISTS semantics).
	r := newRun(t, s, f, core.Scheduled, func(r *core.FlowRun) { r.DeploymentID = &d1.ID })
	newRun(t, s, f, core.Scheduled)
	ids := listIDs(t, s, &store.FlowRunQuery{RunFilters: store.RunFilters{Deployments: &store.DeploymentFilter{Tags: &store.TagsFilter{All: &[]string{"c"}}}}})
	if len(ids) != 1 || !ids[r.ID] {
		t.Fatalf("runs by deployment filter: %v", ids)
	}

	// Deleting a deployment keeps its runs, with deployment_id cleared.
	must(t, s.DeleteDeployment(ctx, d1.ID))
	wantCode(t, s.DeleteDeployment(ctx, d1.ID), core.ENotFound)
	kept, err := s.GetFlowRun(ctx, r.ID)
	must(t, err)
	if kept.DeploymentID != nil {
		t.Fatal("deployment_id not cleared")
	}
}

// scheduledRuns builds n auto-scheduled runs of d with the deterministic
// identity the scheduler uses.
func scheduledRuns(f *core.Flow, d *core.Deployment, n int) []*core.FlowRun {
	var runs []*core.FlowRun
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Hour)
		st := state(core.Scheduled, t0)
		st.StateDetails.ScheduledTime = core.TP(at)
		name := "Scheduled"
		key := fmt.Sprintf("scheduled %s %s", d.ID, at.Format(time.RFC3339))
		r := &core.FlowRun{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: fmt.Sprintf("sched-%d", i), FlowID: f.ID,
			DeploymentID: &d.ID, IdempotencyKey: &key, AutoScheduled: true, Parameters: json.RawMessage(`{}`),
			Context: json.RawMessage(`{}`), Tags: []string{"auto-scheduled"}}
		r.State, r.StateID, r.StateType, r.StateName = st, &st.ID, &st.Type, &name
		r.ExpectedStartTime, r.NextScheduledStartTime = core.TP(at), core.TP(at)
		runs = append(runs, r)
	}
	return runs
}

func testScheduledRuns(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	d := newDeployment(t, s, f, "d")
	other := newDeployment(t, s, f, "other")

	n, err := s.InsertScheduledRuns(ctx, scheduledRuns(f, d, 5))
	must(t, err)
	if n != 5 {
		t.Fatalf("inserted %d, want 5", n)
	}
	// The same identities again (fresh ids, as a second scheduler makes):
	// nothing new, plus two new times.
	n, err = s.InsertScheduledRuns(ctx, scheduledRuns(f, d, 7))
	must(t, err)
	if n != 2 {
		t.Fatalf("second tick inserted %d, want 2", n)
	}
	ids := listIDs(t, s, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{DeploymentID: &store.OptIDFilter{Any: &[]uuid.UUID{d.ID}}}}})
	if len(ids) != 7 {
		t.Fatalf("runs = %d, want 7", len(ids))
	}
	for id := range ids {
		hist, err := s.ListFlowRunStates(ctx, id)
		must(t, err)
		if len(hist) != 1 || hist[0].Type != core.Scheduled {
			t.Fatalf("scheduled run %s history %v", id, hist)
		}
	}

	// Only the deployment's own auto-scheduled runs still SCHEDULED go.
	must(t, func() error { _, err := s.InsertScheduledRuns(ctx, scheduledRuns(f, other, 3)); return err }())
	manual := newRun(t, s, f, core.Scheduled, func(r *core.FlowRun) { r.DeploymentID = &d.ID })
	runs, err := s.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
		IdempotencyKey: &store.StringAnyFilter{Any: &[]string{*scheduledRuns(f, d, 1)[0].IdempotencyKey}}}}})
	must(t, err)
	if len(runs) != 1 {
		t.Fatalf("by idempotency key: %d runs", len(runs))
	}
	started := runs[0]
	next := *started
	st := state(core.Pending, t0.Add(time.Minute))
	name := "Pending"
	next.State, next.StateID, next.StateType, next.StateName = st, &st.ID, &st.Type, &name
	must(t, s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &next, ExpectedVersion: started.Version, AppendState: true}))

	deleted, err := s.DeleteAutoScheduledRuns(ctx, d.ID)
	must(t, err)
	if deleted != 6 {
		t.Fatalf("deleted %d, want 6 (7 auto-scheduled minus the one that left SCHEDULED)", deleted)
	}
	left := listIDs(t, s, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{DeploymentID: &store.OptIDFilter{Any: &[]uuid.UUID{d.ID}}}}})
	if len(left) != 2 || !left[manual.ID] || !left[started.ID] {
		t.Fatalf("left %v, want the manual and the pending run", left)
	}
	if c, _ := s.CountFlowRuns(ctx, &store.RunFilters{FlowRuns: &store.FlowRunFilter{DeploymentID: &store.OptIDFilter{Any: &[]uuid.UUID{other.ID}}}}); c != 3 {
		t.Fatalf("other deployment's runs = %d, want 3", c)
	}
}

// Several schedulers ticking at once never create a run twice.
func testConcurrentSchedulers(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	d := newDeployment(t, s, f, "d")
	const schedulers, runs = 6, 20
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, schedulers)
	for range schedulers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.InsertScheduledRuns(ctx, scheduledRuns(f, d, runs))
			if err != nil {
				errs <- err
				return
			}
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if total.Load() != runs {
		t.Fatalf("inserted %d in all, want %d", total.Load(), runs)
	}
	if c, _ := s.CountFlowRuns(ctx, &store.RunFilters{}); c != runs {
		t.Fatalf("stored %d runs, want %d", c, runs)
	}
}

func testWorkQueues(t *testing.T, s store.Store) {
	mk := func(name string) *core.WorkQueue {
		q := &core.WorkQueue{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: name, Priority: 1}
		must(t, s.CreateWorkQueue(ctx, q))
		return q
	}
	b := mk("beta")
	a := mk("alpha")
	mk("gamma")
	wantCode(t, s.CreateWorkQueue(ctx, &core.WorkQueue{ID: uuid.New(), Name: "beta"}), core.EConflict)

	got, err := s.GetWorkQueueByName(ctx, "alpha")
	must(t, err)
	if got.ID != a.ID {
		t.Fatal("by name")
	}
	_, err = s.GetWorkQueueByName(ctx, "nope")
	wantCode(t, err, core.ENotFound)
	_, err = s.GetWorkQueue(ctx, uuid.New())
	wantCode(t, err, core.ENotFound)

	limit := 3
	b.ConcurrencyLimit, b.IsPaused = &limit, true
	must(t, s.UpdateWorkQueue(ctx, b))
	b.Name = "alpha"
	wantCode(t, s.UpdateWorkQueue(ctx, b), core.EConflict)
	b.Name = "delta" // a rename frees the old name
	must(t, s.UpdateWorkQueue(ctx, b))
	mk("beta")
	wantCode(t, s.UpdateWorkQueue(ctx, &core.WorkQueue{ID: uuid.New(), Name: "zeta"}), core.ENotFound)
	got, _ = s.GetWorkQueue(ctx, b.ID)
	if got.Name != "delta" || !got.IsPaused || got.ConcurrencyLimit == nil || *got.ConcurrencyLimit != 3 {
		t.Fatalf("update lost: %+v", got)
	}

	polled := t0.Add(5 * time.Minute)
	must(t, s.TouchWorkQueue(ctx, a.ID, polled))
	wantCode(t, s.TouchWorkQueue(ctx, uuid.New(), polled), core.ENotFound)
	got, _ = s.GetWorkQueue(ctx, a.ID)
	if got.LastPolled == nil || !got.LastPolled.Equal(polled) {
		t.Fatalf("last_polled = %v, want %v", got.LastPolled, polled)
	}

	names := func(f *store.WorkQueueFilter, p store.Page) string {
		qs, err := s.ListWorkQueues(ctx, f, p)
		must(t, err)
		var out []string
		for _, q := range qs {
			out = append(out, q.Name)
		}
		return strings.Join(out, ",")
	}
	if got := names(nil, store.Page{}); got != "alpha,beta,delta,gamma" {
		t.Fatalf("list = %s", got)
	}
	if got := names(&store.WorkQueueFilter{Name: &store.NameFilter{StartsWith: &[]string{"A", "g"}}}, store.Page{}); got != "alpha,gamma" {
		t.Fatalf("startswith = %s", got)
	}
	if got := names(&store.WorkQueueFilter{ID: &store.IDFilter{Any: &[]uuid.UUID{a.ID, b.ID}}}, store.Page{Limit: 1, Offset: 1}); got != "delta" {
		t.Fatalf("by id, paged = %s", got)
	}
	must(t, s.DeleteWorkQueue(ctx, a.ID))
	wantCode(t, s.DeleteWorkQueue(ctx, a.ID), core.ENotFound)
	must(t, s.CreateWorkQueue(ctx, &core.WorkQueue{ID: uuid.New(), Name: "alpha"})) // the name is free again
}

// Payloads past DynamoDB's 400 KB item limit round-trip unchanged.
func testLargePayloads(t *testing.T, s store.Store) {
	f := newFlow(t, s, "big")
	blob := strings.Repeat("x", 500<<10)
	params := json.RawMessage(`{"payload":"` + blob + `"}`)
	r := newRun(t, s, f, core.Pending, func(r *core.FlowRun) { r.Parameters = params })
	got, err := s.GetFlowRun(ctx, r.ID)
	must(t, err)
	if string(got.Parameters) != string(params) {
		t.Fatalf("parameters: %d bytes back, want %d", len(got.Parameters), len(params))
	}

	tr := newTask(t, s, r, "t", core.Running)
	cur, err := s.GetTaskRun(ctx, tr.ID)
	must(t, err)
	next := *cur
	st := state(core.Completed, t0.Add(time.Second))
	st.Data = json.RawMessage(`{"type":"literal","value":"` + blob + `"}`)
	name := "Completed"
	next.State, next.StateID, next.StateType, next.StateName = st, &st.ID, &st.Type, &name
	must(t, s.CommitTaskRunTransition(ctx, &store.TaskRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true, ReleaseSlots: true}))
	back, err := s.GetTaskRunState(ctx, st.ID)
	must(t, err)
	if string(back.Data) != string(st.Data) {
		t.Fatalf("state data: %d bytes back, want %d", len(back.Data), len(st.Data))
	}
	hist, err := s.ListTaskRunStates(ctx, tr.ID)
	must(t, err)
	if len(hist) != 2 || string(hist[1].Data) != string(st.Data) {
		t.Fatal("history lost the large state")
	}
	cur2, err := s.GetTaskRun(ctx, tr.ID)
	must(t, err)
	if cur2.State == nil || string(cur2.State.Data) != string(st.Data) {
		t.Fatal("current state lost its data")
	}

	var logs []*core.Log
	for i := range 100 {
		logs = append(logs, &core.Log{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: "big", Level: 20,
			Message: fmt.Sprintf("%03d %s", i, strings.Repeat("y", 8<<10)), Timestamp: core.T(t0.Add(time.Duration(i) * time.Millisecond)), FlowRunID: r.ID})
	}
	must(t, s.CreateLogs(ctx, logs))
	out, err := s.ListLogs(ctx, &store.LogQuery{Filter: &store.LogFilter{FlowRunID: &store.IDFilter{Any: &[]uuid.UUID{r.ID}}}})
	must(t, err)
	if len(out) != 100 || out[99].Message != logs[99].Message {
		t.Fatalf("logs: %d back", len(out))
	}
}

// Agents claim a run with a Pending proposal: racing claimers through the
// real orchestrator get every run exactly once, none lost.
func testConcurrentClaims(t *testing.T, s store.Store) {
	f := newFlow(t, s, "claims")
	orch := orchestration.New(s)
	const runs, claimers = 60, 8
	now := core.T(time.Now())
	ids := make([]uuid.UUID, runs)
	for i := range ids {
		r := &core.FlowRun{ID: uuid.New(), Created: now, Updated: now, FlowID: f.ID, Name: fmt.Sprint("claim-", i), Tags: []string{}}
		out, _, err := orch.CreateFlowRun(ctx, r, &core.StateCreate{Type: core.Scheduled, StateDetails: &core.StateDetails{ScheduledTime: &now}})
		must(t, err)
		ids[i] = out.ID
	}
	claims := make([]atomic.Int32, runs)
	var wg sync.WaitGroup
	for c := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range runs {
				i := (k + c*7) % runs
				res, _, err := orch.SetFlowRunState(ctx, ids[i], core.StateCreate{Type: core.Pending}, false, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Status == orchestration.Accept {
					claims[i].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	for i := range claims {
		if n := claims[i].Load(); n != 1 {
			t.Fatalf("run %d claimed %d times", i, n)
		}
	}
	pending, err := s.CountFlowRuns(ctx, &store.RunFilters{FlowRuns: &store.FlowRunFilter{State: &store.StateFilter{Type: &struct {
		Any *[]core.StateType `json:"any_"`
	}{Any: &[]core.StateType{core.Pending}}}}})
	must(t, err)
	if pending != runs {
		t.Fatalf("%d runs pending, want %d", pending, runs)
	}
}
