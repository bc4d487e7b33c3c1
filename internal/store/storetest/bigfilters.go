package storetest

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// Filter lists far longer than any one SQL statement can carry as separate
// variables (SQLite allows 32,766) or AND/OR terms (SQLite's expression
// depth is 1,000): a backend must bind or match a whole list at once. The
// API bounds lists (README "Limits"); the store must serve at least
// bigList items regardless.

// bigList is the list length the suite tries: past SQLite's 32,766
// variables by itself. The store serves longer lists the same way (one
// parameter a list); the suite stays near the limit because the race
// detector slows SQLite's sort of a long list some twentyfold.
const bigList = 33_000

// bigTags is the tags.all_ length: past SQLite's expression depth when each
// tag is its own term.
const bigTags = 1_200

// padIDs returns bigList ids: want plus random ids that match nothing.
func padIDs(want ...uuid.UUID) *[]uuid.UUID {
	out := make([]uuid.UUID, 0, bigList)
	out = append(out, want...)
	for len(out) < bigList {
		out = append(out, uuid.New())
	}
	return &out
}

// padStrs returns bigList strings: want plus "pad-N" strings.
func padStrs(want ...string) *[]string {
	out := make([]string, 0, bigList)
	out = append(out, want...)
	for i := 0; len(out) < bigList; i++ {
		out = append(out, fmt.Sprintf("pad-%d", i))
	}
	return &out
}

func manyTags(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("tag-%04d", i)
	}
	return out
}

func testBigFilterLists(t *testing.T, s store.Store) {
	f := newFlow(t, s, "big-flow", manyTags(bigTags)...)
	g := newFlow(t, s, "other-flow")
	dep := newDeployment(t, s, f, "big-dep", func(d *core.Deployment) { d.WorkQueueName = ptr("q-alpha") })
	a := newRun(t, s, f, core.Completed, func(r *core.FlowRun) {
		r.Name, r.Tags, r.DeploymentID, r.WorkQueueName = "alpha", manyTags(bigTags), &dep.ID, ptr("q-alpha")
		r.FlowVersion, r.IdempotencyKey = ptr("v-alpha"), ptr("key-alpha")
	})
	b := newRun(t, s, g, core.Running, func(r *core.FlowRun) {
		r.Name, r.Tags = "beta", manyTags(bigTags-1) // all but the last tag
	})
	ta := newTask(t, s, a, "task-a", core.Completed, manyTags(bigTags)...)
	newTask(t, s, b, "task-b", core.Running)
	must(t, s.CreateLogs(ctx, []*core.Log{
		{ID: uuid.New(), Name: "n", Level: 20, Message: "a", Timestamp: core.T(t0), FlowRunID: a.ID, TaskRunID: &ta.ID},
		{ID: uuid.New(), Name: "n", Level: 20, Message: "b", Timestamp: core.T(t0), FlowRunID: b.ID},
	}))
	q := &core.WorkQueue{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: "q-alpha", Priority: 1}
	must(t, s.CreateWorkQueue(ctx, q))
	now := core.T(t0)
	_, _, err := s.UpsertConcurrencyLimit(ctx, &core.ConcurrencyLimit{ID: uuid.New(), Created: now, Updated: now, Tag: "pad-7", ConcurrencyLimit: 1})
	must(t, err)

	tags := manyTags(bigTags)
	prefixes := append(manyTags(bigTags), "ALP")
	t.Run("flow runs", func(t *testing.T) {
		f := store.FlowRunFilter{ID: &store.IDFilter{Any: padIDs(a.ID, b.ID)}, Tags: &store.TagsFilter{All: &tags},
			Name: &store.NameFilter{StartsWith: &prefixes}}
		wantIDs(t, listIDs(t, s, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &f}}), []*core.FlowRun{a})
		// A bounded page of several state types takes SQLite's per-state
		// union, which repeats the lists in each arm (a shorter list: the
		// arms bind it as the query above does, and the race detector
		// makes each long one cost seconds on SQLite).
		notAny := (*padIDs(a.ID))[:bigTags]
		f = store.FlowRunFilter{ID: &store.IDFilter{NotAny: &notAny}, State: &store.StateFilter{Type: &struct {
			Any *[]core.StateType `json:"any_"`
		}{Any: &[]core.StateType{core.Running, core.Completed}}}}
		runs, err := s.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &f}, Page: store.Page{Limit: 10},
			Sort: "EXPECTED_START_TIME_DESC"})
		must(t, err)
		if len(runs) != 1 || runs[0].ID != b.ID {
			t.Fatalf("paged: got %d runs", len(runs))
		}
	})

	t.Run("flows by tags", func(t *testing.T) {
		fs, err := s.ListFlows(ctx, &store.FlowQuery{RunFilters: store.RunFilters{Flows: &store.FlowFilter{Tags: &store.TagsFilter{All: &tags}}}})
		must(t, err)
		if len(fs) != 1 || fs[0].ID != f.ID {
			t.Fatalf("flows by tags: %d", len(fs))
		}
	})

	t.Run("task runs by run ids", func(t *testing.T) {
		trs, err := s.ListTaskRuns(ctx, &store.TaskRunQuery{RunFilters: store.RunFilters{
			FlowRuns: &store.FlowRunFilter{ID: &store.IDFilter{Any: padIDs(a.ID)}},
			TaskRuns: &store.TaskRunFilter{Tags: &store.TagsFilter{All: &tags}}}})
		must(t, err)
		if len(trs) != 1 || trs[0].ID != ta.ID {
			t.Fatalf("got %d task runs", len(trs))
		}
	})

	t.Run("work queues by prefixes", func(t *testing.T) {
		qs, err := s.ListWorkQueues(ctx, &store.WorkQueueFilter{Name: &store.NameFilter{StartsWith: ptr(append(manyTags(bigTags), "Q-"))}}, store.Page{})
		must(t, err)
		if len(qs) != 1 || qs[0].ID != q.ID {
			t.Fatalf("got %d queues", len(qs))
		}
	})

	t.Run("concurrency limits for tags", func(t *testing.T) {
		ls, err := s.ConcurrencyLimitsForTags(ctx, *padStrs())
		must(t, err)
		if len(ls) != 1 || ls[0].Tag != "pad-7" {
			t.Fatalf("got %d limits", len(ls))
		}
	})
}

func wantIDs(t *testing.T, got map[uuid.UUID]bool, want []*core.FlowRun) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d runs, want %d", len(got), len(want))
	}
	for _, w := range want {
		if !got[w.ID] {
			t.Fatalf("missing %s", w.Name)
		}
	}
}
