// Package storetest is the conformance suite every store backend runs:
// a backend's test calls Run with a factory returning a fresh, empty store
// for each subtest. The suite pins down the contract documented in package
// store: create-or-get semantics, error codes, cascades, every filter
// operator, sorts, paging, compare-and-set transitions and slot leases.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// Factory returns a fresh, empty store; the suite closes it.
type Factory func(t *testing.T) store.Store

// Run runs the whole suite.
func Run(t *testing.T, newStore Factory) {
	tests := map[string]func(*testing.T, store.Store){
		"FlowsCreateOrGet":         testFlows,
		"FlowRunIdempotency":       testFlowRunIdempotency,
		"TaskRunCreateOrGet":       testTaskRunCreateOrGet,
		"TransitionCompareAndSet":  testTransitionCAS,
		"ConcurrentTransitions":    testConcurrentTransitions,
		"StateHistory":             testStateHistory,
		"FlowRunFilters":           testFlowRunFilters,
		"CrossFilters":             testCrossFilters,
		"SortsAndPaging":           testSortsAndPaging,
		"Cascades":                 testCascades,
		"Cache":                    testCache,
		"SlotsAreLeases":           testSlots,
		"ConcurrentSlotClaims":     testConcurrentSlotClaims,
		"SlotsDieWithFlowRun":      testSlotsDieWithFlowRun,
		"FlowEndClosesTasks":       testFlowTerminationClosesTasks,
		"CrashedRunsFreeSlots":     testCrashedRunsFreeSlots,
		"UpdatedMoves":             testUpdatedMoves,
		"ConcurrentIdempotentRuns": testConcurrentIdempotentCreate,
		"Logs":                     testLogs,
		"SavedSearches":            testSavedSearches,
		"Blocks":                   testBlocks,
		"Reset":                    testReset,
		"Deployments":              testDeployments,
		"BigFilterLists":           testBigFilterLists,
		"ScheduledRuns":            testScheduledRuns,
		"ConcurrentSchedulers":     testConcurrentSchedulers,
		"WorkQueues":               testWorkQueues,
		"LargePayloads":            testLargePayloads,
		"ConcurrentClaims":         testConcurrentClaims,
		"APIKeys":                  testAPIKeys,
		"ConcurrentAPIKeyWrites":   testConcurrentAPIKeyWrites,
		"AuditLog":                 testAuditLog,
		"ResetKeepsKeysAndAudit":   testResetKeepsKeys,
		"Retention":                testRetention,
	}
	for name, fn := range logTests {
		tests[name] = fn
	}
	for name, fn := range notificationTests {
		tests[name] = fn
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			fn(t, s)
		})
	}
}

var ctx = context.Background()

var t0 = time.Date(2023, 2, 7, 10, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if core.ErrorCode(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func newFlow(t *testing.T, s store.Store, name string, tags ...string) *core.Flow {
	t.Helper()
	now := core.T(t0)
	f, _, err := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Created: now, Updated: now, Name: name, Tags: append([]string{}, tags...)})
	must(t, err)
	return f
}

func state(typ core.StateType, at time.Time) *core.State {
	return &core.State{ID: uuid.New(), Type: typ, Name: typ.DefaultName(), Timestamp: core.T(at)}
}

// newRun inserts a flow run in state typ (its bookkeeping columns set).
func newRun(t *testing.T, s store.Store, flow *core.Flow, typ core.StateType, mutate ...func(*core.FlowRun)) *core.FlowRun {
	t.Helper()
	st := state(typ, t0)
	name := typ.DefaultName()
	r := &core.FlowRun{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: "run-" + uuid.NewString()[:8], FlowID: flow.ID,
		Parameters: json.RawMessage(`{}`), Context: json.RawMessage(`{}`), Tags: []string{}}
	r.State, r.StateID, r.StateType, r.StateName = st, &st.ID, &st.Type, &name
	r.ExpectedStartTime = core.TP(t0)
	for _, m := range mutate {
		m(r)
	}
	out, created, err := s.CreateFlowRun(ctx, r)
	must(t, err)
	if !created {
		t.Fatal("run not created")
	}
	return out
}

func newTask(t *testing.T, s store.Store, run *core.FlowRun, key string, typ core.StateType, tags ...string) *core.TaskRun {
	t.Helper()
	st := state(typ, t0)
	name := typ.DefaultName()
	tr := &core.TaskRun{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: key, FlowRunID: run.ID, TaskKey: key,
		DynamicKey: "0", Tags: append([]string{}, tags...)}
	tr.State, tr.StateID, tr.StateType, tr.StateName = st, &st.ID, &st.Type, &name
	out, _, err := s.CreateTaskRun(ctx, tr)
	must(t, err)
	return out
}

// moveTask commits a transition of tr into typ.
func moveTask(t *testing.T, s store.Store, tr *core.TaskRun, typ core.StateType, claims ...store.SlotClaim) error {
	t.Helper()
	cur, err := s.GetTaskRun(ctx, tr.ID)
	must(t, err)
	next := *cur
	st := state(typ, t0.Add(time.Second))
	name := typ.DefaultName()
	next.State, next.StateID, next.StateType, next.StateName = st, &st.ID, &st.Type, &name
	return s.CommitTaskRunTransition(ctx, &store.TaskRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true,
		AcquireSlots: claims, ReleaseSlots: typ != core.Running && typ != core.Cancelling})
}

func ptr[T any](v T) *T { return &v }

func testFlows(t *testing.T, s store.Store) {
	f := newFlow(t, s, "etl", "a")
	again, created, err := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "etl", Tags: []string{"b"}})
	must(t, err)
	if created || again.ID != f.ID || len(again.Tags) != 1 || again.Tags[0] != "a" {
		t.Fatalf("create-or-get: created=%v %+v", created, again)
	}
	got, err := s.GetFlowByName(ctx, "etl")
	must(t, err)
	if got.ID != f.ID {
		t.Fatal("by name")
	}
	_, err = s.GetFlow(ctx, uuid.New())
	wantCode(t, err, core.ENotFound)
	must(t, s.UpdateFlowTags(ctx, f.ID, []string{"x"}, t0))
	got, _ = s.GetFlow(ctx, f.ID)
	if len(got.Tags) != 1 || got.Tags[0] != "x" {
		t.Fatalf("tags %v", got.Tags)
	}
	wantCode(t, s.UpdateFlowTags(ctx, uuid.New(), nil, t0), core.ENotFound)
	wantCode(t, s.DeleteFlow(ctx, uuid.New()), core.ENotFound)
}

func testFlowRunIdempotency(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Pending, func(r *core.FlowRun) { r.IdempotencyKey = ptr("k") })
	dup := &core.FlowRun{ID: uuid.New(), FlowID: f.ID, Name: "other", IdempotencyKey: ptr("k")}
	dup.State = state(core.Running, t0)
	out, created, err := s.CreateFlowRun(ctx, dup)
	must(t, err)
	if created || out.ID != r.ID || *out.StateType != core.Pending {
		t.Fatalf("idempotency: created=%v %+v", created, out)
	}
	// The same key on another flow is a different run.
	g := newFlow(t, s, "g")
	newRun(t, s, g, core.Pending, func(r *core.FlowRun) { r.IdempotencyKey = ptr("k") })
	states, err := s.ListFlowRunStates(ctx, r.ID)
	must(t, err)
	if len(states) != 1 {
		t.Fatalf("the duplicate create wrote a state: %d", len(states))
	}
}

func testTaskRunCreateOrGet(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Running)
	a := newTask(t, s, r, "k", core.Pending)
	b := &core.TaskRun{ID: uuid.New(), FlowRunID: r.ID, TaskKey: "k", DynamicKey: "0"}
	b.State = state(core.Running, t0)
	out, created, err := s.CreateTaskRun(ctx, b)
	must(t, err)
	if created || out.ID != a.ID || *out.StateType != core.Pending {
		t.Fatalf("task create-or-get: %v %+v", created, out)
	}
	must(t, s.UpdateTaskRunName(ctx, a.ID, "renamed", t0))
	got, _ := s.GetTaskRun(ctx, a.ID)
	if got.Name != "renamed" {
		t.Fatal("rename")
	}
	wantCode(t, s.UpdateTaskRunName(ctx, uuid.New(), "x", t0), core.ENotFound)
	must(t, s.DeleteTaskRun(ctx, a.ID))
	wantCode(t, s.DeleteTaskRun(ctx, a.ID), core.ENotFound)
}

func testTransitionCAS(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Pending)
	cur, _ := s.GetFlowRun(ctx, r.ID)
	next := *cur
	st := state(core.Running, t0)
	next.State, next.StateType = st, &st.Type
	must(t, s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true}))
	if next.Version != cur.Version+1 {
		t.Fatalf("version %d after %d", next.Version, cur.Version)
	}
	stale := *cur
	err := s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &stale, ExpectedVersion: cur.Version, AppendState: true})
	if !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("stale write: %v", err)
	}
	got, _ := s.GetFlowRun(ctx, r.ID)
	if *got.StateType != core.Running {
		t.Fatal("stale write changed the run")
	}
	ghost := *cur
	ghost.ID = uuid.New()
	wantCode(t, s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &ghost, ExpectedVersion: 1}), core.ENotFound)
	// UpdateFlowRun bumps the version too, so a transition racing a PATCH loses.
	must(t, s.UpdateFlowRun(ctx, r.ID, &store.FlowRunUpdate{Name: ptr("new")}, t0))
	err = s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &next, ExpectedVersion: next.Version, AppendState: true})
	if !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("transition after patch: %v", err)
	}
	got, _ = s.GetFlowRun(ctx, r.ID)
	if got.Name != "new" {
		t.Fatal("patch lost")
	}
}

func testConcurrentTransitions(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Pending)
	cur, _ := s.GetFlowRun(ctx, r.ID)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := *cur
			st := state(core.Running, t0)
			next.State, next.StateType = st, &st.Type
			err := s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true})
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, store.ErrVersionConflict) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d writers won the same version", wins.Load())
	}
	states, _ := s.ListFlowRunStates(ctx, r.ID)
	if len(states) != 2 {
		t.Fatalf("%d states written", len(states))
	}
}

func testStateHistory(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Pending)
	tr := newTask(t, s, r, "k", core.Pending)
	must(t, moveTask(t, s, tr, core.Running))
	must(t, moveTask(t, s, tr, core.Completed))
	states, err := s.ListTaskRunStates(ctx, tr.ID)
	must(t, err)
	if len(states) != 3 || states[0].Type != core.Pending || states[2].Type != core.Completed {
		t.Fatalf("history %v", states)
	}
	one, err := s.GetTaskRunState(ctx, states[1].ID)
	must(t, err)
	if one.Type != core.Running {
		t.Fatal("get state")
	}
	_, err = s.GetFlowRunState(ctx, uuid.New())
	wantCode(t, err, core.ENotFound)
	fs, _ := s.ListFlowRunStates(ctx, r.ID)
	if len(fs) != 1 {
		t.Fatal("flow history")
	}
}

func listIDs(t *testing.T, s store.Store, q *store.FlowRunQuery) map[uuid.UUID]bool {
	t.Helper()
	runs, err := s.ListFlowRuns(ctx, q)
	must(t, err)
	out := map[uuid.UUID]bool{}
	for _, r := range runs {
		out[r.ID] = true
	}
	n, err := s.CountFlowRuns(ctx, &q.RunFilters)
	must(t, err)
	if q.Page.Limit == 0 && n != len(runs) {
		t.Fatalf("count %d != list %d", n, len(runs))
	}
	return out
}

func testFlowRunFilters(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	dep := uuid.New()
	a := newRun(t, s, f, core.Completed, func(r *core.FlowRun) {
		r.Name, r.Tags, r.DeploymentID, r.WorkQueueName = "alpha-run", []string{"x", "y"}, &dep, ptr("q1")
		r.StartTime = core.TP(t0.Add(time.Hour))
	})
	b := newRun(t, s, f, core.Running, func(r *core.FlowRun) { r.Name, r.Tags = "beta-run", []string{"x"} })
	c := newRun(t, s, f, core.Scheduled, func(r *core.FlowRun) {
		r.Name = "gamma"
		r.NextScheduledStartTime = core.TP(t0.Add(2 * time.Hour))
		*r.StateName = core.NameLate
	})
	type tc struct {
		name string
		f    store.FlowRunFilter
		want []*core.FlowRun
	}
	ids := func(rs ...*core.FlowRun) *[]uuid.UUID {
		out := []uuid.UUID{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return &out
	}
	or := store.Or
	tests := []tc{
		{"empty matches all", store.FlowRunFilter{}, []*core.FlowRun{a, b, c}},
		{"id any", store.FlowRunFilter{ID: &store.IDFilter{Any: ids(a, c)}}, []*core.FlowRun{a, c}},
		{"id any empty list", store.FlowRunFilter{ID: &store.IDFilter{Any: ids()}}, nil},
		{"id not_any", store.FlowRunFilter{ID: &store.IDFilter{NotAny: ids(a)}}, []*core.FlowRun{b, c}},
		{"name like is case-insensitive", store.FlowRunFilter{Name: &store.NameFilter{Like: ptr("RUN")}}, []*core.FlowRun{a, b}},
		{"name any", store.FlowRunFilter{Name: &store.NameFilter{Any: &[]string{"gamma"}}}, []*core.FlowRun{c}},
		{"tags all", store.FlowRunFilter{Tags: &store.TagsFilter{All: &[]string{"x", "y"}}}, []*core.FlowRun{a}},
		{"tags is_null", store.FlowRunFilter{Tags: &store.TagsFilter{IsNull: ptr(true)}}, []*core.FlowRun{c}},
		{"tags not null", store.FlowRunFilter{Tags: &store.TagsFilter{IsNull: ptr(false)}}, []*core.FlowRun{a, b}},
		{"deployment any", store.FlowRunFilter{DeploymentID: &store.OptIDFilter{Any: &[]uuid.UUID{dep}}}, []*core.FlowRun{a}},
		{"deployment is_null", store.FlowRunFilter{DeploymentID: &store.OptIDFilter{IsNull: ptr(true)}}, []*core.FlowRun{b, c}},
		{"work queue", store.FlowRunFilter{WorkQueueName: &store.OptStringFilter{Any: &[]string{"q1"}}}, []*core.FlowRun{a}},
		{"state type", store.FlowRunFilter{State: &store.StateFilter{Type: &struct {
			Any *[]core.StateType `json:"any_"`
		}{Any: &[]core.StateType{core.Running, core.Scheduled}}}}, []*core.FlowRun{b, c}},
		{"state name", store.FlowRunFilter{State: &store.StateFilter{Name: &store.StringAnyFilter{Any: &[]string{"Late"}}}}, []*core.FlowRun{c}},
		{"start_time after", store.FlowRunFilter{StartTime: &store.TimeFilter{After: core.TP(t0.Add(time.Hour))}}, []*core.FlowRun{a}},
		{"start_time before excludes", store.FlowRunFilter{StartTime: &store.TimeFilter{Before: core.TP(t0)}}, nil},
		{"start_time is_null", store.FlowRunFilter{StartTime: &store.TimeFilter{IsNull: ptr(true)}}, []*core.FlowRun{b, c}},
		{"next scheduled before", store.FlowRunFilter{NextScheduledStartTime: &store.TimeFilter{Before: core.TP(t0.Add(3 * time.Hour))}}, []*core.FlowRun{c}},
		{"and of two", store.FlowRunFilter{Tags: &store.TagsFilter{All: &[]string{"x"}}, Name: &store.NameFilter{Like: ptr("beta")}}, []*core.FlowRun{b}},
		{"or of two", store.FlowRunFilter{Operator: &or, Name: &store.NameFilter{Like: ptr("beta")}, ID: &store.IDFilter{Any: ids(c)}}, []*core.FlowRun{b, c}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			got := listIDs(t, s, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &f}})
			if len(got) != len(tt.want) {
				t.Fatalf("got %d runs, want %d", len(got), len(tt.want))
			}
			for _, w := range tt.want {
				if !got[w.ID] {
					t.Fatalf("missing %s", w.Name)
				}
			}
		})
	}
}

func testCrossFilters(t *testing.T, s store.Store) {
	f := newFlow(t, s, "with-tasks", "team-a")
	g := newFlow(t, s, "without-tasks")
	r := newRun(t, s, f, core.Running)
	newRun(t, s, g, core.Running)
	newTask(t, s, r, "k", core.Failed)
	flows, err := s.ListFlows(ctx, &store.FlowQuery{RunFilters: store.RunFilters{TaskRuns: &store.TaskRunFilter{}}})
	must(t, err)
	if len(flows) != 1 || flows[0].ID != f.ID {
		t.Fatalf("flows with task runs: %v", flows)
	}
	runs := listIDs(t, s, &store.FlowRunQuery{RunFilters: store.RunFilters{Flows: &store.FlowFilter{Tags: &store.TagsFilter{All: &[]string{"team-a"}}}}})
	if len(runs) != 1 || !runs[r.ID] {
		t.Fatalf("runs of tagged flows: %v", runs)
	}
	tasks, err := s.ListTaskRuns(ctx, &store.TaskRunQuery{RunFilters: store.RunFilters{Flows: &store.FlowFilter{Name: &store.NameFilter{Any: &[]string{"with-tasks"}}}}})
	must(t, err)
	if len(tasks) != 1 {
		t.Fatalf("tasks by flow name: %d", len(tasks))
	}
	n, err := s.CountTaskRuns(ctx, &store.RunFilters{TaskRuns: &store.TaskRunFilter{State: &store.StateFilter{Type: &struct {
		Any *[]core.StateType `json:"any_"`
	}{Any: &[]core.StateType{core.Completed}}}}})
	must(t, err)
	if n != 0 {
		t.Fatal("state filter on tasks")
	}
	// No deployments exist: a deployments filter matches nothing.
	if got := listIDs(t, s, &store.FlowRunQuery{RunFilters: store.RunFilters{Deployments: &store.DeploymentFilter{}}}); len(got) != 0 {
		t.Fatal("deployments filter matched runs without deployments")
	}
	n, err = s.CountFlows(ctx, &store.RunFilters{FlowRuns: &store.FlowRunFilter{}})
	must(t, err)
	if n != 2 {
		t.Fatalf("flows with runs: %d", n)
	}
}

func testSortsAndPaging(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	var runs []*core.FlowRun
	for i := 0; i < 5; i++ {
		i := i
		runs = append(runs, newRun(t, s, f, core.Completed, func(r *core.FlowRun) {
			r.Name = fmt.Sprintf("run-%d", i)
			r.ExpectedStartTime = core.TP(t0.Add(time.Duration(i) * time.Minute))
			r.EndTime = core.TP(t0.Add(time.Duration(10-i) * time.Minute))
		}))
	}
	check := func(sort store.FlowRunSort, page store.Page, want ...int) {
		t.Helper()
		got, err := s.ListFlowRuns(ctx, &store.FlowRunQuery{Sort: sort, Page: page})
		must(t, err)
		if len(got) != len(want) {
			t.Fatalf("%s %+v: %d runs, want %d", sort, page, len(got), len(want))
		}
		for i, w := range want {
			if got[i].ID != runs[w].ID {
				t.Fatalf("%s %+v: position %d is %s, want run-%d", sort, page, i, got[i].Name, w)
			}
		}
	}
	check("NAME_ASC", store.Page{}, 0, 1, 2, 3, 4)
	check("NAME_DESC", store.Page{Limit: 2}, 4, 3)
	check("EXPECTED_START_TIME_DESC", store.Page{Limit: 2, Offset: 1}, 3, 2)
	check("END_TIME_DESC", store.Page{Limit: 1}, 0)
	check("START_TIME_ASC", store.Page{Limit: 2}, 0, 1)
	flows, err := s.ListFlows(ctx, &store.FlowQuery{Sort: "NAME_DESC", Page: store.Page{Limit: 1}})
	must(t, err)
	if len(flows) != 1 {
		t.Fatal("flow paging")
	}
}

func testCascades(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Running)
	tr := newTask(t, s, r, "k", core.Pending)
	must(t, s.DeleteFlowRun(ctx, r.ID))
	_, err := s.GetTaskRun(ctx, tr.ID)
	wantCode(t, err, core.ENotFound)
	if st, _ := s.ListTaskRunStates(ctx, tr.ID); len(st) != 0 {
		t.Fatal("task states survived")
	}
	wantCode(t, s.DeleteFlowRun(ctx, r.ID), core.ENotFound)
	r2 := newRun(t, s, f, core.Running)
	must(t, s.DeleteFlow(ctx, f.ID))
	_, err = s.GetFlowRun(ctx, r2.ID)
	wantCode(t, err, core.ENotFound)
}

func testCache(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Running)
	for i, exp := range []*time.Time{ptr(t0.Add(time.Minute)), nil} {
		tr := newTask(t, s, r, fmt.Sprintf("k%d", i), core.Running)
		cur, _ := s.GetTaskRun(ctx, tr.ID)
		next := *cur
		next.State = state(core.Completed, t0)
		next.State.Data = json.RawMessage(fmt.Sprintf(`{"type":"literal","value":%d}`, i))
		must(t, s.CommitTaskRunTransition(ctx, &store.TaskRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true,
			CacheKey: ptr(fmt.Sprintf("key-%d", i)), CacheExpiration: exp}))
	}
	hit, err := s.LookupCache(ctx, "key-0", t0)
	must(t, err)
	if hit == nil || string(hit.Data) != `{"type":"literal","value":0}` {
		t.Fatalf("cache hit: %+v", hit)
	}
	if hit, _ := s.LookupCache(ctx, "key-0", t0.Add(2*time.Minute)); hit != nil {
		t.Fatal("expired entry returned")
	}
	if hit, _ := s.LookupCache(ctx, "key-1", t0.Add(24*time.Hour*365)); hit == nil {
		t.Fatal("entry without expiry missing")
	}
	if hit, _ := s.LookupCache(ctx, "nope", t0); hit != nil {
		t.Fatal("phantom hit")
	}
}

func testSlots(t *testing.T, s store.Store) {
	now := core.T(t0)
	l, created, err := s.UpsertConcurrencyLimit(ctx, &core.ConcurrencyLimit{ID: uuid.New(), Created: now, Updated: now, Tag: "db", ConcurrencyLimit: 1})
	must(t, err)
	if !created || len(l.ActiveSlots) != 0 {
		t.Fatalf("upsert new: %v %+v", created, l)
	}
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Running)
	a := newTask(t, s, r, "a", core.Pending, "db")
	b := newTask(t, s, r, "b", core.Pending, "db")
	claim := store.SlotClaim{Tag: "db", Limit: 1}
	must(t, moveTask(t, s, a, core.Running, claim))
	if err := moveTask(t, s, b, core.Running, claim); !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("second claim over the limit: %v", err)
	}
	if got, _ := s.GetTaskRun(ctx, b.ID); *got.StateType != core.Pending {
		t.Fatal("failed claim still wrote the transition")
	}
	l, _ = s.GetConcurrencyLimitByTag(ctx, "db")
	if len(l.ActiveSlots) != 1 || l.ActiveSlots[0] != a.ID {
		t.Fatalf("active slots %v", l.ActiveSlots)
	}
	// Raising the limit keeps slots; it is an update, not a create.
	l2, created, err := s.UpsertConcurrencyLimit(ctx, &core.ConcurrencyLimit{ID: uuid.New(), Tag: "db", ConcurrencyLimit: 2})
	must(t, err)
	if created || l2.ID != l.ID || len(l2.ActiveSlots) != 1 || l2.ConcurrencyLimit != 2 {
		t.Fatalf("upsert existing: %v %+v", created, l2)
	}
	// A lease dies with its holder's RUNNING state, even without a release.
	cur, _ := s.GetTaskRun(ctx, a.ID)
	next := *cur
	next.State = state(core.Crashed, t0)
	next.StateType = &next.State.Type
	must(t, s.CommitTaskRunTransition(ctx, &store.TaskRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true}))
	l, _ = s.GetConcurrencyLimit(ctx, l.ID)
	if len(l.ActiveSlots) != 0 {
		t.Fatalf("crashed holder still counted: %v", l.ActiveSlots)
	}
	ls, err := s.ConcurrencyLimitsForTags(ctx, []string{"db", "other"})
	must(t, err)
	if len(ls) != 1 {
		t.Fatal("limits for tags")
	}
	all, _ := s.ListConcurrencyLimits(ctx, store.Page{})
	if len(all) != 1 {
		t.Fatal("list limits")
	}
	must(t, s.DeleteConcurrencyLimitByTag(ctx, "db"))
	wantCode(t, s.DeleteConcurrencyLimit(ctx, l.ID), core.ENotFound)
	_, err = s.GetConcurrencyLimitByTag(ctx, "db")
	wantCode(t, err, core.ENotFound)
}

func testConcurrentSlotClaims(t *testing.T, s store.Store) {
	_, _, err := s.UpsertConcurrencyLimit(ctx, &core.ConcurrencyLimit{ID: uuid.New(), Tag: "gpu", ConcurrencyLimit: 3})
	must(t, err)
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Running)
	var tasks []*core.TaskRun
	for i := 0; i < 16; i++ {
		tasks = append(tasks, newTask(t, s, r, fmt.Sprintf("t%d", i), core.Pending, "gpu"))
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for _, tr := range tasks {
		wg.Add(1)
		go func(tr *core.TaskRun) {
			defer wg.Done()
			err := moveTask(t, s, tr, core.Running, store.SlotClaim{Tag: "gpu", Limit: 3})
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, store.ErrVersionConflict) {
				t.Error(err)
			}
		}(tr)
	}
	wg.Wait()
	l, _ := s.GetConcurrencyLimitByTag(ctx, "gpu")
	if wins.Load() != 3 || len(l.ActiveSlots) != 3 {
		t.Fatalf("%d claims won, %d slots held; limit 3", wins.Load(), len(l.ActiveSlots))
	}
}

func testConcurrentIdempotentCreate(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	var wg sync.WaitGroup
	ids := make([]uuid.UUID, 16)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st := state(core.Scheduled, t0)
			out, _, err := s.CreateFlowRun(ctx, &core.FlowRun{ID: uuid.New(), FlowID: f.ID, Name: "x", IdempotencyKey: ptr("same"),
				RunTiming: core.RunTiming{State: st, StateType: &st.Type}})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = out.ID
		}(i)
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatal("concurrent creates with one idempotency key made two runs")
		}
	}
	if n, _ := s.CountFlowRuns(ctx, &store.RunFilters{}); n != 1 {
		t.Fatalf("%d runs", n)
	}
}

func testLogs(t *testing.T, s store.Store) {
	run, task := uuid.New(), uuid.New()
	var logs []*core.Log
	for i := 0; i < 5; i++ {
		l := &core.Log{ID: uuid.New(), Name: "n", Level: 10 * (i + 1), Message: fmt.Sprint(i), Timestamp: core.T(t0.Add(time.Duration(i) * time.Second)), FlowRunID: run}
		if i%2 == 0 {
			l.TaskRunID = &task
		}
		logs = append(logs, l)
	}
	must(t, s.CreateLogs(ctx, logs))
	get := func(q *store.LogQuery) []*core.Log {
		out, err := s.ListLogs(ctx, q)
		must(t, err)
		return out
	}
	if got := get(&store.LogQuery{Filter: &store.LogFilter{Level: &struct {
		Ge *int `json:"ge_"`
		Le *int `json:"le_"`
	}{Ge: ptr(30), Le: ptr(40)}}}); len(got) != 2 {
		t.Fatalf("level range: %d", len(got))
	}
	if got := get(&store.LogQuery{Filter: &store.LogFilter{TaskRunID: &store.OptIDFilter{Any: &[]uuid.UUID{task}}}}); len(got) != 3 {
		t.Fatalf("task filter: %d", len(got))
	}
	if got := get(&store.LogQuery{Sort: "TIMESTAMP_DESC", Page: store.Page{Limit: 1}}); got[0].Message != "4" {
		t.Fatal("sort desc")
	}
	if got := get(&store.LogQuery{Filter: &store.LogFilter{Timestamp: &store.TimeFilter{After: core.TP(t0.Add(3 * time.Second))}}}); len(got) != 2 {
		t.Fatal("timestamp filter")
	}
}

func testSavedSearches(t *testing.T, s store.Store) {
	a, created, err := s.UpsertSavedSearch(ctx, &core.SavedSearch{ID: uuid.New(), Name: "mine"})
	must(t, err)
	b, created2, err := s.UpsertSavedSearch(ctx, &core.SavedSearch{ID: uuid.New(), Name: "mine", Filters: []core.SavedSearchFilter{{Object: "flow"}}})
	must(t, err)
	if !created || created2 || a.ID != b.ID || len(b.Filters) != 1 {
		t.Fatal("saved search upsert")
	}
	list, _ := s.ListSavedSearches(ctx, store.Page{})
	if len(list) != 1 {
		t.Fatal("list")
	}
	must(t, s.DeleteSavedSearch(ctx, a.ID))
	_, err = s.GetSavedSearch(ctx, a.ID)
	wantCode(t, err, core.ENotFound)
}

func testBlocks(t *testing.T, s store.Store) {
	now := core.T(t0)
	bt := &core.BlockType{ID: uuid.New(), Created: now, Updated: now, Name: "Creds", Slug: "creds"}
	must(t, s.CreateBlockType(ctx, bt))
	wantCode(t, s.CreateBlockType(ctx, &core.BlockType{ID: uuid.New(), Name: "Other", Slug: "creds"}), core.EConflict)
	bt.Description = ptr("d")
	must(t, s.UpdateBlockType(ctx, bt))
	got, _ := s.GetBlockTypeBySlug(ctx, "creds")
	if got.Description == nil || *got.Description != "d" {
		t.Fatal("update type")
	}
	sc := &core.BlockSchema{ID: uuid.New(), Created: now, Checksum: "sha256:1", Fields: json.RawMessage(`{}`), BlockTypeID: bt.ID, Capabilities: []string{"read", "write"}, Version: "1"}
	_, created, err := s.CreateBlockSchema(ctx, sc)
	must(t, err)
	dup, created2, err := s.CreateBlockSchema(ctx, &core.BlockSchema{ID: uuid.New(), Checksum: "sha256:1", Fields: json.RawMessage(`{}`), BlockTypeID: bt.ID, Version: "1"})
	must(t, err)
	if !created || created2 || dup.ID != sc.ID {
		t.Fatal("schema create-or-get")
	}
	if got, _ := s.GetBlockSchemaByChecksum(ctx, "sha256:1", nil); got == nil || got.ID != sc.ID {
		t.Fatal("by checksum")
	}
	schemas, _ := s.ListBlockSchemas(ctx, &store.BlockSchemaQuery{BlockSchemas: &store.BlockSchemaFilter{BlockCapabilities: &struct {
		All *[]string `json:"all_"`
	}{All: &[]string{"write"}}}})
	if len(schemas) != 1 {
		t.Fatal("capability filter")
	}
	types, _ := s.ListBlockTypes(ctx, &store.BlockTypeQuery{BlockTypes: &store.BlockTypeFilter{Name: &struct {
		Like *string `json:"like_"`
	}{Like: ptr("RED")}}})
	if len(types) != 1 {
		t.Fatal("type like filter")
	}
	doc := &store.BlockDocumentRecord{ID: uuid.New(), Created: now, Updated: now, Name: "prod", Data: []byte{1, 2, 3}, BlockSchemaID: sc.ID, BlockTypeID: bt.ID, References: map[string]uuid.UUID{}}
	must(t, s.CreateBlockDocument(ctx, doc))
	wantCode(t, s.CreateBlockDocument(ctx, &store.BlockDocumentRecord{ID: uuid.New(), Name: "prod", Data: []byte{}, BlockSchemaID: sc.ID, BlockTypeID: bt.ID}), core.EConflict)
	anon := &store.BlockDocumentRecord{ID: uuid.New(), Created: now, Updated: now, Name: "anonymous-x", Data: []byte{9}, BlockSchemaID: sc.ID, BlockTypeID: bt.ID, IsAnonymous: true, References: map[string]uuid.UUID{"child": doc.ID}}
	must(t, s.CreateBlockDocument(ctx, anon))
	list, _ := s.ListBlockDocuments(ctx, &store.BlockDocumentQuery{})
	if len(list) != 1 || list[0].ID != doc.ID {
		t.Fatal("anonymous documents listed by default")
	}
	list, _ = s.ListBlockDocuments(ctx, &store.BlockDocumentQuery{BlockDocuments: &store.BlockDocumentFilter{IsAnonymous: &store.BoolFilter{Eq: ptr(true)}}})
	if len(list) != 1 || list[0].References["child"] != doc.ID {
		t.Fatalf("anonymous filter / references: %+v", list)
	}
	doc.Data = []byte("new")
	must(t, s.UpdateBlockDocument(ctx, doc))
	got2, _ := s.GetBlockDocumentByName(ctx, bt.ID, "prod")
	if string(got2.Data) != "new" {
		t.Fatal("update document")
	}
	must(t, s.DeleteBlockType(ctx, bt.ID))
	_, err = s.GetBlockDocument(ctx, doc.ID)
	wantCode(t, err, core.ENotFound)
	_, err = s.GetBlockSchema(ctx, sc.ID)
	wantCode(t, err, core.ENotFound)
}

func testReset(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	newRun(t, s, f, core.Running)
	must(t, s.Reset(ctx))
	_, err := s.GetFlow(ctx, f.ID)
	wantCode(t, err, core.ENotFound)
	newFlow(t, s, "f") // the schema is back
}
