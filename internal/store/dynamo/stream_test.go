package dynamo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/dynamo"
)

// streamFixture is a table with one flow, n flow runs (UUIDv7 ids, in
// creation order), task runs of the first run and logs of the first run,
// opened twice: with a small scan cap and with the default one.
type streamFixture struct {
	capped, full *dynamo.Store
	flow         uuid.UUID
	runs         []*core.FlowRun // creation (= id) order
	tasks        []uuid.UUID
}

func stateOf(typ core.StateType, at time.Time) *core.State {
	return &core.State{ID: uuid.New(), Type: typ, Name: string(typ), Timestamp: core.T(at)}
}

func newStreamFixture(t *testing.T, n, tasks, logs int) *streamFixture {
	t.Helper()
	ctx := context.Background()
	full := openTable(t, dynamo.Options{})
	capped, err := dynamo.Open(ctx, "dynamodb://"+full.Table()+"?region=us-east-1&endpoint="+endpoint(t), dynamo.Options{MaxScanItems: 50})
	if err != nil {
		t.Fatal(err)
	}
	fx := &streamFixture{capped: capped, full: full, flow: uuid.New()}
	if _, _, err := full.CreateFlow(ctx, &core.Flow{ID: fx.flow, Name: "streamed", Tags: []string{}}); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	types := []core.StateType{core.Scheduled, core.Completed, core.Running, core.Failed}
	for i := 0; i < n; i++ {
		typ := types[i%len(types)]
		// Expected start times tie in threes and run against creation
		// order, so the time orders differ from the id order.
		at := base.Add(time.Duration(n-i/3) * time.Minute)
		r := &core.FlowRun{ID: uuid.Must(uuid.NewV7()), FlowID: fx.flow, Name: fmt.Sprintf("run-%03d", i),
			Parameters: json.RawMessage(`{}`), Context: json.RawMessage(`{}`), Tags: []string{}}
		r.ExpectedStartTime = core.TP(at)
		if i%5 == 0 {
			wq := "default"
			r.WorkQueueName = &wq
		}
		if typ == core.Scheduled {
			r.NextScheduledStartTime = core.TP(at.Add(time.Duration(i%7) * time.Second))
		}
		r.State, r.StateType = stateOf(typ, base), &typ
		if _, _, err := full.CreateFlowRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		fx.runs = append(fx.runs, r)
	}
	for i := 0; i < tasks; i++ {
		tr := &core.TaskRun{ID: uuid.Must(uuid.NewV7()), FlowRunID: fx.runs[0].ID, Name: "t", TaskKey: fmt.Sprintf("t-%d", i),
			DynamicKey: "0", Tags: []string{}}
		typ := core.Pending
		tr.State, tr.StateType = stateOf(typ, base), &typ
		if _, _, err := full.CreateTaskRun(ctx, tr); err != nil {
			t.Fatal(err)
		}
		fx.tasks = append(fx.tasks, tr.ID)
	}
	var batch []*core.Log
	for i := 0; i < logs; i++ {
		batch = append(batch, &core.Log{ID: uuid.Must(uuid.NewV7()), FlowRunID: fx.runs[0].ID, Name: "l", Level: 20,
			Message: fmt.Sprintf("log %d", i), Timestamp: core.T(base.Add(time.Duration(i/2) * time.Second))})
	}
	if len(batch) > 0 {
		if err := full.CreateLogs(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

func ids[T any](xs []*T, id func(*T) uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func runID(r *core.FlowRun) uuid.UUID { return r.ID }

func sameIDs(t *testing.T, what string, got, want []uuid.UUID) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func stateTypes(ts ...core.StateType) *store.StateFilter {
	return &store.StateFilter{Type: &struct {
		Any *[]core.StateType `json:"any_"`
	}{Any: &ts}}
}

func TestStreamedListsWithinScanCap(t *testing.T) {
	t.Parallel()
	fx := newStreamFixture(t, 200, 120, 150)
	ctx := context.Background()

	// `prefect flow-run ls`: ID_DESC, limit 10 -> the 10 newest, reading
	// about 10 items although 200 exist and the cap is 50.
	got, err := fx.capped.ListFlowRuns(ctx, &store.FlowRunQuery{Sort: "ID_DESC", Page: store.Page{Limit: 10}})
	if err != nil {
		t.Fatal(err)
	}
	var newest []uuid.UUID
	for i := 199; i >= 190; i-- {
		newest = append(newest, fx.runs[i].ID)
	}
	sameIDs(t, "ID_DESC limit 10", ids(got, runID), newest)

	// Every ordered case agrees with the uncapped store's full answer.
	flow := &store.FlowFilter{ID: &store.IDFilter{Any: &[]uuid.UUID{fx.flow}}}
	dep := []string{"default"}
	cases := []struct {
		name string
		q    store.FlowRunQuery
	}{
		{"default sort, offset", store.FlowRunQuery{Page: store.Page{Limit: 10, Offset: 20}}},
		{"by flow (parent index)", store.FlowRunQuery{RunFilters: store.RunFilters{Flows: flow}, Sort: "ID_DESC", Page: store.Page{Limit: 7}}},
		{"id order, Go-side name match", store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
			Name: &store.NameFilter{Like: ptr("run-1")}}}, Sort: "ID_DESC", Page: store.Page{Limit: 5}}},
		{"expected asc in one state", store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
			State: stateTypes(core.Completed)}}, Sort: "EXPECTED_START_TIME_ASC", Page: store.Page{Limit: 8}}},
		{"expected desc, ties, two states", store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
			State: stateTypes(core.Completed, core.Failed, core.Running)}}, Sort: "EXPECTED_START_TIME_DESC", Page: store.Page{Limit: 10, Offset: 3}}},
		{"scheduled by next start, before", store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
			State: stateTypes(core.Scheduled), NextScheduledStartTime: &store.TimeFilter{Before: core.TP(time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC))}}},
			Sort: "NEXT_SCHEDULED_START_TIME_ASC", Page: store.Page{Limit: 10}}},
		{"state types, id order (presorted keys)", store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
			State: stateTypes(core.Completed, core.Failed, core.Running)}}, Sort: "ID_DESC", Page: store.Page{Limit: 10, Offset: 5}}},
		{"queue, id order (presorted keys)", store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
			WorkQueueName: &store.OptStringFilter{Any: &dep}}}, Page: store.Page{Limit: 4}}},
		{"queue, scheduled by next start", store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
			WorkQueueName: &store.OptStringFilter{Any: &dep}, State: stateTypes(core.Scheduled)}},
			Sort: "NEXT_SCHEDULED_START_TIME_ASC", Page: store.Page{Limit: 3}}},
	}
	for _, c := range cases {
		want, err := fx.full.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: c.q.RunFilters, Sort: c.q.Sort})
		if err != nil {
			t.Fatal(c.name, err)
		}
		q := c.q
		got, err := fx.capped.ListFlowRuns(ctx, &q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		end := min(len(want), q.Offset+q.Limit)
		if q.Offset > end {
			end = q.Offset
		}
		sameIDs(t, c.name, ids(got, runID), ids(want[q.Offset:end], runID))
		if len(got) == 0 {
			t.Fatalf("%s: empty page proves nothing", c.name)
		}
	}

	// A reversed time range is empty, not an error.
	late := core.TP(time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC))
	empty, err := fx.capped.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
		State: stateTypes(core.Completed), ExpectedStartTime: &store.TimeFilter{After: late, Before: core.TP(late.Add(-time.Hour))}}},
		Sort: "EXPECTED_START_TIME_ASC", Page: store.Page{Limit: 10}})
	if err != nil || len(empty) != 0 {
		t.Fatalf("reversed range: %d runs, %v", len(empty), err)
	}

	// A filter no index serves and that matches nothing reads every
	// candidate: the cap still applies.
	_, err = fx.capped.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
		Name: &store.NameFilter{Any: &[]string{"no such run"}}}}, Sort: "ID_DESC", Page: store.Page{Limit: 10}})
	if core.ErrorCode(err) != core.EBadRequest {
		t.Fatalf("Go-side match over 200 items with cap 50: %v", err)
	}
	// So does a sort no index serves.
	if _, err = fx.capped.ListFlowRuns(ctx, &store.FlowRunQuery{Sort: "NAME_ASC", Page: store.Page{Limit: 10}}); core.ErrorCode(err) != core.EBadRequest {
		t.Fatalf("NAME_ASC over 200 items with cap 50: %v", err)
	}

	// Counts served by index keys alone do not fetch items.
	for _, c := range []struct {
		f    store.RunFilters
		want int
	}{
		{store.RunFilters{}, 200},
		{store.RunFilters{FlowRuns: &store.FlowRunFilter{State: stateTypes(core.Scheduled, core.Completed)}}, 100},
		{store.RunFilters{FlowRuns: &store.FlowRunFilter{WorkQueueName: &store.OptStringFilter{Any: &dep}, State: stateTypes(core.Scheduled)}}, 10},
	} {
		n, err := fx.capped.CountFlowRuns(ctx, &c.f)
		if err != nil || n != c.want {
			t.Fatalf("count %+v = %d, %v; want %d", c.f.FlowRuns, n, err, c.want)
		}
	}
	if _, err := fx.capped.CountFlowRuns(ctx, &store.RunFilters{FlowRuns: &store.FlowRunFilter{Name: &store.NameFilter{Like: ptr("run")}}}); core.ErrorCode(err) != core.EBadRequest {
		t.Fatalf("a count matched in Go is capped: %v", err)
	}
	if n, err := fx.capped.CountTaskRuns(ctx, &store.RunFilters{}); err != nil || n != 120 {
		t.Fatalf("task-run count = %d, %v", n, err)
	}

	// Task runs of a run, newest first (parent index), and of the table.
	for _, rf := range []store.RunFilters{{FlowRuns: &store.FlowRunFilter{ID: &store.IDFilter{Any: &[]uuid.UUID{fx.runs[0].ID}}}}, {}} {
		trs, err := fx.capped.ListTaskRuns(ctx, &store.TaskRunQuery{RunFilters: rf, Sort: "ID_DESC", Page: store.Page{Limit: 5, Offset: 2}})
		if err != nil {
			t.Fatal(err)
		}
		var want []uuid.UUID
		for i := 117; i >= 113; i-- {
			want = append(want, fx.tasks[i])
		}
		sameIDs(t, "task runs ID_DESC", ids(trs, func(r *core.TaskRun) uuid.UUID { return r.ID }), want)
	}

	// Logs of a run (its item collection) and of the table, both ways.
	for _, f := range []*store.LogFilter{{FlowRunID: &store.IDFilter{Any: &[]uuid.UUID{fx.runs[0].ID}}}, nil} {
		for _, sort := range []store.LogSort{"TIMESTAMP_ASC", "TIMESTAMP_DESC"} {
			want, err := fx.full.ListLogs(ctx, &store.LogQuery{Filter: f, Sort: sort})
			if err != nil {
				t.Fatal(err)
			}
			got, err := fx.capped.ListLogs(ctx, &store.LogQuery{Filter: f, Sort: sort, Page: store.Page{Limit: 9, Offset: 4}})
			if err != nil {
				t.Fatalf("logs %s: %v", sort, err)
			}
			logID := func(l *core.Log) uuid.UUID { return l.ID }
			sameIDs(t, "logs "+string(sort), ids(got, logID), ids(want[4:13], logID))
		}
	}
}

func ptr[T any](v T) *T { return &v }
