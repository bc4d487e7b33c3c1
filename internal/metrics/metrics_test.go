package metrics_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/metrics"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
)

func TestRouteLabel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", "unmatched"},
		{"GET /", "/"},
		{"POST /api/flow_runs/filter", "/api/flow_runs/filter"},
		{"POST /api/flow_runs/filter/{$}", "/api/flow_runs/filter"},
		{"GET /api/flow_runs/{id}", "/api/flow_runs/{id}"},
		{"GET /api/flow_runs/{id}/{$}", "/api/flow_runs/{id}"},
		{"/metrics", "/metrics"},
	} {
		if got := metrics.RouteLabel(tt.in); got != tt.want {
			t.Errorf("RouteLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNilMetricsIsANoOp(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	m.RequestStarted()()
	m.ObserveRequest("GET", "/", 200, time.Millisecond)
	m.Transition("flow", core.Running, "ACCEPT", nil)
	m.WatchQueues(nil, nil)
	var st store.Store
	if m.WrapStore(st) != st {
		t.Error("a nil Metrics must not wrap the store")
	}
}

func TestRequestsAndTransitions(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.ObserveRequest("GET", "/api/flows/{id}", 200, 3*time.Millisecond)
	m.ObserveRequest("GET", "/api/flows/{id}", 200, 3*time.Millisecond)
	m.ObserveRequest("BREW", "unmatched", 404, time.Millisecond)
	m.Transition("task", core.Running, "WAIT", nil)
	m.Transition("flow", core.Completed, "ACCEPT", errors.New("boom"))

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`orrery_http_requests_total{method="GET",route="/api/flows/{id}",status="200"} 2`,
		`orrery_http_requests_total{method="OTHER",route="unmatched",status="404"} 1`,
		`orrery_http_request_duration_seconds_count{method="GET",route="/api/flows/{id}"} 2`,
		`orrery_orchestration_transitions_total{kind="task",proposed="RUNNING",result="WAIT"} 1`,
		`orrery_orchestration_transitions_total{kind="flow",proposed="COMPLETED",result="ERROR"} 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// failingStore answers every call with the error it holds.
type failingStore struct {
	store.Store
	err error
}

func (f failingStore) CommitFlowRunTransition(context.Context, *store.FlowRunTransition) error {
	return f.err
}

func TestStoreErrorsAndRetries(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name              string
		err               error
		errors, conflicts float64
	}{
		{"ok", nil, 0, 0},
		{"not found is an answer", core.Errorf(core.ENotFound, "no"), 0, 0},
		{"conflict is an answer", core.Errorf(core.EConflict, "taken"), 0, 0},
		{"cancelled by the client", context.Canceled, 0, 0},
		{"version conflict is a retry", store.ErrVersionConflict, 0, 1},
		{"database down", errors.New("connection refused"), 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := metrics.New()
			st := m.WrapStore(failingStore{err: tt.err})
			_ = st.CommitFlowRunTransition(context.Background(), &store.FlowRunTransition{})
			if got := counter(t, m, "orrery_store_errors_total", "CommitFlowRunTransition"); got != tt.errors {
				t.Errorf("store errors = %v, want %v", got, tt.errors)
			}
			if got := counter(t, m, "orrery_store_retries_total", "CommitFlowRunTransition"); got != tt.conflicts {
				t.Errorf("store retries = %v, want %v", got, tt.conflicts)
			}
		})
	}
}

// counter gathers one labelled sample (0 when absent).
func counter(t *testing.T, m *metrics.Metrics, name, op string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "op" && l.GetValue() == op {
					return s.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestStoreWrapsEveryMethod fails when the store interface gained a method
// that store_gen.go does not observe: run `go generate ./internal/metrics`.
func TestStoreWrapsEveryMethod(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "store_gen.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := map[string]bool{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil {
			wrapped[fd.Name.Name] = true
		}
	}
	it := reflect.TypeOf((*store.Store)(nil)).Elem()
	for i := 0; i < it.NumMethod(); i++ {
		m := it.Method(i)
		if m.Name == "Close" {
			continue
		}
		if !wrapped[m.Name] {
			t.Errorf("store.Store.%s is not observed by metrics.Store: run go generate ./internal/metrics", m.Name)
		}
	}
}

type fakeService struct{ err error }

func (fakeService) Name() string                    { return "late_runs" }
func (f fakeService) RunOnce(context.Context) error { return f.err }

func TestWrapServiceTimesEveryPass(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	var svc services.Service = m.WrapService(fakeService{})
	_ = svc.RunOnce(context.Background())
	_ = m.WrapService(fakeService{err: errors.New("x")}).RunOnce(context.Background())
	if svc.Name() != "late_runs" {
		t.Errorf("Name() = %q", svc.Name())
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`orrery_service_run_duration_seconds_count{service="late_runs"} 2`,
		`orrery_service_runs_total{result="ok",service="late_runs"} 1`,
		`orrery_service_runs_total{result="error",service="late_runs"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
