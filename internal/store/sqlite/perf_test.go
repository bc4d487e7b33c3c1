package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

// The fast paths (per-state-type UNION pages, counts from flow_run_counts)
// must answer exactly what the plain query answers, across inserts,
// transitions, deletes and ties in every sort key.
func TestFlowRunFastPathsMatchPlainQueries(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "o.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(7, 7))
	flow := &core.Flow{ID: uuid.New(), Name: "f", Tags: []string{}}
	if _, _, err := s.CreateFlow(ctx, flow); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	types := []core.StateType{core.Completed, core.Failed, core.Crashed, core.Running, core.Scheduled, core.Cancelled}
	force := func(r *core.FlowRun, typ core.StateType, now time.Time) *core.FlowRun {
		var sd *core.StateDetails
		if typ == core.Scheduled {
			st := core.T(now.Add(time.Duration(rng.IntN(5)) * time.Hour))
			sd = &core.StateDetails{ScheduledTime: &st}
		}
		return orchestration.DecideFlow(orchestration.FlowInput{Run: r, Proposed: core.StateCreate{Type: typ, StateDetails: sd}, Force: true, Now: now}).Run
	}
	var bulk []*core.FlowRun
	var runs []*core.FlowRun
	for i := 0; i < 400; i++ {
		// Few distinct times and names: many ties.
		now := base.Add(time.Duration(rng.IntN(20)) * time.Minute)
		r := &core.FlowRun{ID: uuid.New(), Created: core.T(now), Updated: core.T(now), Name: fmt.Sprintf("run-%d", rng.IntN(10)),
			FlowID: flow.ID, Parameters: []byte(`{}`), Context: []byte(`{}`), Tags: []string{}}
		r = force(r, core.Pending, now)
		if i%2 == 0 {
			r = force(r, types[rng.IntN(len(types))], now.Add(time.Duration(rng.IntN(3))*time.Minute))
			bulk = append(bulk, r)
		} else if _, _, err := s.CreateFlowRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	if err := s.BulkCreateFlowRuns(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	for i, r := range runs {
		switch i % 5 {
		case 1, 3:
			cur, err := s.GetFlowRun(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			next := force(cur, types[rng.IntN(len(types))], base.Add(time.Duration(rng.IntN(40))*time.Minute))
			if err := s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: next, ExpectedVersion: cur.Version, AppendState: true}); err != nil {
				t.Fatal(err)
			}
		case 4:
			if i%3 == 0 {
				if err := s.DeleteFlowRun(ctx, r.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	stateFilter := func(ts ...core.StateType) *store.FlowRunFilter {
		f := &store.FlowRunFilter{State: &store.StateFilter{Type: &struct {
			Any *[]core.StateType `json:"any_"`
		}{Any: &ts}}}
		return f
	}
	ids := func(rs []*core.FlowRun) []uuid.UUID {
		out := make([]uuid.UUID, len(rs))
		for i, r := range rs {
			out[i] = r.ID
		}
		return out
	}
	filters := []*store.FlowRunFilter{
		stateFilter(core.Failed, core.Crashed),
		stateFilter(core.Completed, core.Running, core.Scheduled, core.Completed),
		stateFilter(core.Cancelled, core.Paused),
	}
	for fi, fr := range filters {
		// The plain path: no page (the union needs a bounded one).
		all, err := s.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: fr}, Sort: "ID_DESC"})
		if err != nil {
			t.Fatal(err)
		}
		for _, sort := range store.FlowRunSorts {
			want, err := s.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: fr}, Sort: sort})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []store.Page{{Limit: 7}, {Limit: 10, Offset: 13}, {Limit: 1000}, {Limit: 3, Offset: 1000}} {
				got, err := s.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: fr}, Sort: sort, Page: p})
				if err != nil {
					t.Fatal(err)
				}
				lo, hi := min(p.Offset, len(want)), min(p.Offset+p.Limit, len(want))
				if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want[lo:hi])) {
					t.Fatalf("filter %d sort %s page %+v: union page differs from the plain one", fi, sort, p)
				}
			}
		}
		n, err := s.CountFlowRuns(ctx, &store.RunFilters{FlowRuns: fr})
		if err != nil {
			t.Fatal(err)
		}
		// A flows filter forces the plain COUNT(*).
		plain, err := s.CountFlowRuns(ctx, &store.RunFilters{FlowRuns: fr, Flows: &store.FlowFilter{}})
		if err != nil {
			t.Fatal(err)
		}
		if n != plain || n != len(all) {
			t.Fatalf("filter %d: count %d, plain count %d, rows %d", fi, n, plain, len(all))
		}
	}
	total, err := s.CountFlowRuns(ctx, &store.RunFilters{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.CountFlowRuns(ctx, &store.RunFilters{Flows: &store.FlowFilter{}})
	if err != nil {
		t.Fatal(err)
	}
	if total != plain || total == 0 {
		t.Fatalf("count all %d, plain %d", total, plain)
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountFlowRuns(ctx, &store.RunFilters{}); err != nil || n != 0 {
		t.Fatalf("after reset: %d, %v", n, err)
	}
}
