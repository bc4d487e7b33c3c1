package services_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/app"
	"github.com/orrery-dev/orrery/internal/backend"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/results"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// fakePruner holds n prunable runs, each with one offloaded payload.
type fakePruner struct {
	n     int
	calls []store.PruneParams
	err   error
}

func (f *fakePruner) PruneFlowRuns(_ context.Context, p *store.PruneParams) (*store.PruneResult, error) {
	f.calls = append(f.calls, *p)
	if f.err != nil {
		return nil, f.err
	}
	k := min(p.Limit, f.n)
	res := &store.PruneResult{FlowRuns: k, TaskRuns: 2 * k, States: 3 * k, Logs: 10 * k}
	for i := range k {
		res.ResultKeys = append(res.ResultKeys, fmt.Sprintf("payloads/flow_run/%d", f.n-i))
	}
	if !p.DryRun {
		f.n -= k
	}
	return res, nil
}

func TestRetentionRunOnce(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		name          string
		runs          int
		retention     time.Duration
		grace         time.Duration
		batch, budget int
		wantPruned    int
		wantLimits    []int
	}{
		{name: "off", runs: 5, retention: 0, wantPruned: 0},
		{name: "nothing to do", runs: 0, retention: 30 * day, batch: 10, budget: 100, wantLimits: []int{10}},
		{name: "batches until a short one", runs: 25, retention: 30 * day, batch: 10, budget: 100, wantPruned: 25, wantLimits: []int{10, 10, 10}},
		{name: "exact multiple needs one empty call", runs: 20, retention: 30 * day, batch: 10, budget: 100, wantPruned: 20, wantLimits: []int{10, 10, 10}},
		{name: "budget stops the tick", runs: 50, retention: 30 * day, batch: 10, budget: 25, wantPruned: 25, wantLimits: []int{10, 10, 5}},
		{name: "grace pushes the cutoff back", runs: 3, retention: 12 * time.Hour, grace: 72 * time.Hour, batch: 10, budget: 100, wantPruned: 3, wantLimits: []int{10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fp := &fakePruner{n: tc.runs}
			rs := results.NewMemory()
			for i := 1; i <= tc.runs; i++ {
				_ = rs.Put(context.Background(), fmt.Sprintf("payloads/flow_run/%d", i), []byte("x"))
			}
			svc := &services.Retention{Store: fp, Retention: tc.retention, Grace: tc.grace, Results: rs, Batch: tc.batch, Budget: tc.budget,
				Now: func() time.Time { return now }}
			if err := svc.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if pruned := tc.runs - fp.n; pruned != tc.wantPruned {
				t.Errorf("pruned %d runs, want %d", pruned, tc.wantPruned)
			}
			var limits []int
			for _, c := range fp.calls {
				limits = append(limits, c.Limit)
				if want := now.Add(-tc.retention - tc.grace); !c.Before.Equal(want) || c.DryRun {
					t.Errorf("call %+v, want cutoff %s and no dry run", c, want)
				}
			}
			if !slices.Equal(limits, tc.wantLimits) {
				t.Errorf("limits %v, want %v", limits, tc.wantLimits)
			}
			// Payloads of pruned runs are gone, the others stay.
			for i := 1; i <= tc.runs; i++ {
				_, err := rs.Get(context.Background(), fmt.Sprintf("payloads/flow_run/%d", i))
				if gone := errors.Is(err, results.ErrNotFound); gone != (i > fp.n) {
					t.Errorf("payload %d: gone=%v with %d runs left", i, gone, fp.n)
				}
			}
		})
	}
}

func TestPruneDryRunAndErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fp := &fakePruner{n: 7}
	rs := results.NewMemory()
	_ = rs.Put(ctx, "payloads/flow_run/7", []byte("x"))
	total, err := services.Prune(ctx, fp, rs, &store.PruneParams{Before: time.Now(), Limit: 2, DryRun: true}, 1000, time.Time{})
	if err != nil || total.FlowRuns != 7 || total.Logs != 70 || len(fp.calls) != 1 || fp.n != 7 {
		t.Fatalf("dry run: %+v, %v after %d calls, %d runs left", total, err, len(fp.calls), fp.n)
	}
	if _, err := rs.Get(ctx, "payloads/flow_run/7"); err != nil {
		t.Fatal("a dry run deleted a payload")
	}
	if _, err := services.Prune(ctx, fp, nil, &store.PruneParams{Before: time.Now(), Limit: 2}, 1000, time.Time{}); err == nil {
		t.Fatal("payload keys with no results store: no error")
	}
	// A passed deadline stops after the batch in hand.
	fp = &fakePruner{n: 7}
	if total, err := services.Prune(ctx, fp, rs, &store.PruneParams{Before: time.Now(), Limit: 2}, 1000, time.Now().Add(-time.Second)); err != nil || total.FlowRuns != 2 || len(fp.calls) != 1 {
		t.Fatalf("past deadline: %+v, %v after %d calls", total, err, len(fp.calls))
	}
	fp = &fakePruner{err: errors.New("disk on fire")}
	if _, err := services.Prune(ctx, fp, rs, &store.PruneParams{Before: time.Now(), Limit: 2}, 1000, time.Time{}); err == nil {
		t.Fatal("store error swallowed")
	}
}

// TestRetentionInApp: with ORRERY_RETENTION set, the app's service list
// (the server's ticker and the scheduler Lambda's tick) prunes old
// finished runs and keeps recent ones; without it there is no such
// service.
func TestRetentionInApp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := func(retention time.Duration) *app.App {
		dir := t.TempDir()
		cfg := shared.Config{DatabaseURL: "sqlite:///:memory:", SecretKeyFile: filepath.Join(dir, "secret.key"),
			ResultsURL: "file://" + filepath.Join(dir, "results"), AgentDeadline: 1 << 62, Retention: retention}
		a, err := app.New(ctx, cfg, backend.Open, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, "test")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	names := func(a *app.App) []string {
		var out []string
		for _, s := range a.Services {
			out = append(out, s.Name())
		}
		return out
	}
	if off := open(0); slices.Contains(names(off), "retention") {
		t.Fatalf("retention service without ORRERY_RETENTION: %v", names(off))
	}
	a := open(24 * time.Hour)
	if !slices.Contains(names(a), "retention") {
		t.Fatalf("no retention service: %v", names(a))
	}
	f, _, err := a.Store.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "f", Tags: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	finished := func(end time.Time) uuid.UUID {
		st := &core.State{ID: uuid.New(), Type: core.Completed, Name: "Completed", Timestamp: core.T(end)}
		r := &core.FlowRun{ID: uuid.New(), Created: core.T(end), Updated: core.T(end), Name: "r", FlowID: f.ID,
			Parameters: json.RawMessage(`{}`), Context: json.RawMessage(`{}`), Tags: []string{}}
		r.State, r.StateID, r.StateType, r.StateName = st, &st.ID, &st.Type, &st.Name
		r.StartTime, r.EndTime = core.TP(end.Add(-time.Minute)), core.TP(end)
		if _, _, err := a.Store.CreateFlowRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	old, recent := finished(time.Now().Add(-48*time.Hour)), finished(time.Now().Add(-time.Hour))
	if err := a.RunServicesOnce(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.GetFlowRun(ctx, old); !core.IsNotFound(err) {
		t.Fatalf("old run: %v, want not found", err)
	}
	if _, err := a.Store.GetFlowRun(ctx, recent); err != nil {
		t.Fatalf("recent run: %v", err)
	}
}
