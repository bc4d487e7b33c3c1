package services_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orrery-dev/orrery/internal/app"
	"github.com/orrery-dev/orrery/internal/app/apptest"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/services"
)

// env is an assembled App whose API is called in-process.
type env struct {
	t   *testing.T
	app *app.App
}

func newEnv(t *testing.T) *env {
	a, _ := apptest.New(t)
	return &env{t: t, app: a}
}

func (e *env) do(method, path string, body, out any) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	rec := httptest.NewRecorder()
	e.app.API.ServeHTTP(rec, httptest.NewRequest(method, "/api"+path, bytes.NewReader(b)))
	if rec.Code/100 != 2 {
		e.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) runsOf(d core.Deployment) []*core.FlowRun {
	e.t.Helper()
	var runs []*core.FlowRun
	e.do(http.MethodPost, "/flow_runs/filter", map[string]any{"sort": "EXPECTED_START_TIME_ASC",
		"deployments": map[string]any{"id": map[string]any{"any_": []string{d.ID.String()}}}}, &runs)
	return runs
}

// TestScheduler: an active deployment gets its upcoming runs once (ticks
// repeat without duplicates); inactive and unscheduled ones get none.
func TestScheduler(t *testing.T) {
	e := newEnv(t)
	var flow core.Flow
	e.do(http.MethodPost, "/flows/", map[string]any{"name": "f"}, &flow)
	now := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	every := func(name string, active bool, schedule any) core.Deployment {
		var d core.Deployment
		e.do(http.MethodPost, "/deployments/", map[string]any{"name": name, "flow_id": flow.ID, "is_schedule_active": active,
			"schedule": schedule, "tags": []string{"nightly"}, "parameters": map[string]any{"n": 1}}, &d)
		return d
	}
	hourly := every("hourly", true, map[string]any{"interval": 3600, "anchor_date": "2026-01-01T00:00:00Z"})
	paused := every("paused", false, map[string]any{"interval": 3600})
	none := every("none", true, nil)

	s := &services.Scheduler{Store: e.app.Store, Now: func() time.Time { return now }}
	for tick := 0; tick < 3; tick++ {
		if err := s.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	runs := e.runsOf(hourly)
	// 2.7's bounds: at least 3 runs and at least an hour ahead.
	if len(runs) != 3 {
		t.Fatalf("hourly: %d runs, want 3", len(runs))
	}
	for i, r := range runs {
		want := time.Date(2026, 3, 1, 11+i, 0, 0, 0, time.UTC)
		if r.StateType == nil || *r.StateType != core.Scheduled || !r.AutoScheduled || r.ExpectedStartTime == nil || !r.ExpectedStartTime.Equal(want) {
			t.Fatalf("run %d: %+v, want SCHEDULED auto-scheduled at %s", i, r, want)
		}
		if !strings.Contains(strings.Join(r.Tags, ","), "auto-scheduled") || !strings.Contains(strings.Join(r.Tags, ","), "nightly") {
			t.Fatalf("run %d tags %v", i, r.Tags)
		}
		if string(r.Parameters) != `{"n":1}` {
			t.Fatalf("run %d parameters %s", i, r.Parameters)
		}
	}
	if n := len(e.runsOf(paused)) + len(e.runsOf(none)); n != 0 {
		t.Fatalf("inactive or unscheduled deployments got %d runs", n)
	}
	// An hour later the window moves on by one run.
	now = now.Add(time.Hour)
	if err := s.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(e.runsOf(hourly)); n != 4 {
		t.Fatalf("an hour later: %d runs, want 4", n)
	}
}

// TestLateRuns: only runs still waiting as "Scheduled" past their time by
// more than LateAfter are renamed Late (and stay SCHEDULED).
func TestLateRuns(t *testing.T) {
	e := newEnv(t)
	var flow core.Flow
	e.do(http.MethodPost, "/flows/", map[string]any{"name": "f"}, &flow)
	now := time.Now()
	mk := func(name string, at time.Time, typ string) *core.FlowRun {
		var r core.FlowRun
		e.do(http.MethodPost, "/flow_runs/", map[string]any{"flow_id": flow.ID, "name": name,
			"state": map[string]any{"type": typ, "state_details": map[string]any{"scheduled_time": core.T(at)}}}, &r)
		return &r
	}
	overdue := mk("overdue", now.Add(-time.Minute), "SCHEDULED")
	justDue := mk("just-due", now.Add(-services.LateAfter/2), "SCHEDULED")
	future := mk("future", now.Add(time.Hour), "SCHEDULED")
	claimed := mk("claimed", now.Add(-time.Minute), "PENDING")

	l := &services.LateRuns{Orch: orchestration.New(e.app.Store), Now: func() time.Time { return now }}
	for i := 0; i < 2; i++ {
		if err := l.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		run      *core.FlowRun
		typ      core.StateType
		name     string
		retained bool
	}{
		{overdue, core.Scheduled, "Late", false},
		{justDue, core.Scheduled, "Scheduled", true},
		{future, core.Scheduled, "Scheduled", true},
		{claimed, core.Pending, "Pending", true},
	} {
		r, err := e.app.Store.GetFlowRun(context.Background(), tc.run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *r.StateType != tc.typ || *r.StateName != tc.name {
			t.Errorf("%s: %s/%s, want %s/%s", r.Name, *r.StateType, *r.StateName, tc.typ, tc.name)
		}
		if tc.name == "Late" && (r.NextScheduledStartTime == nil || !r.NextScheduledStartTime.Equal(tc.run.NextScheduledStartTime.Time)) {
			t.Errorf("%s: the Late state lost the scheduled time", r.Name)
		}
	}
}

type countingService struct {
	n    atomic.Int32
	fail bool
}

func (c *countingService) Name() string { return "counting" }
func (c *countingService) RunOnce(context.Context) error {
	c.n.Add(1)
	if c.fail {
		return errors.New("boom")
	}
	return nil
}

// TestLoopKeepsGoing: Loop runs at once, keeps ticking after errors (logging
// them with the service's name) and returns when its context ends.
func TestLoopKeepsGoing(t *testing.T) {
	var logs strings.Builder
	// Only the loop goroutine writes; the test reads after it has returned.
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	svc := &countingService{fail: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { services.Loop(ctx, svc, time.Millisecond, logger); close(done) }()
	for svc.n.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if !strings.Contains(logs.String(), "service=counting") || !strings.Contains(logs.String(), "boom") {
		t.Fatalf("errors not logged: %s", logs.String())
	}
}
