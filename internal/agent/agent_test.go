package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/app/apptest"
	"github.com/orrery-dev/orrery/internal/client"
	"github.com/orrery-dev/orrery/internal/core"
)

// fixture is the assembled API over a private SQLite store, with one flow.
type fixture struct {
	t    *testing.T
	c    *client.Client
	flow core.Flow
	dir  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	app, _ := apptest.New(t)
	srv := httptest.NewServer(app.API)
	t.Cleanup(srv.Close)
	f := &fixture{t: t, c: client.New(srv.URL+"/api", ""), dir: t.TempDir()}
	f.do(http.MethodPost, "/flows/", map[string]any{"name": "etl"}, &f.flow)
	return f
}

func (f *fixture) do(method, path string, body, out any) {
	f.t.Helper()
	if err := f.c.Do(context.Background(), method, path, body, out); err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// deployment makes a deployment on queue "q" whose process block runs argv.
func (f *fixture) deployment(name string, argv ...string) core.Deployment {
	var bt core.BlockType
	f.do(http.MethodPost, "/block_types/", map[string]any{"name": "Process " + name, "slug": "process-" + name}, &bt)
	var bs core.BlockSchema
	f.do(http.MethodPost, "/block_schemas/", map[string]any{"block_type_id": bt.ID, "capabilities": []string{"run-infrastructure"},
		"fields": map[string]any{"title": "Process", "type": "object", "properties": map[string]any{"command": map[string]any{"type": "array"}}}}, &bs)
	var doc core.BlockDocument
	f.do(http.MethodPost, "/block_documents/", map[string]any{"name": "proc-" + name, "block_type_id": bt.ID, "block_schema_id": bs.ID,
		"data": map[string]any{"command": argv, "env": map[string]any{"MARK": "from-the-block"}, "working_dir": f.dir}}, &doc)
	var d core.Deployment
	f.do(http.MethodPost, "/deployments/", map[string]any{"name": name, "flow_id": f.flow.ID, "work_queue_name": "q", "infrastructure_document_id": doc.ID}, &d)
	return d
}

// run schedules a run of d due now.
func (f *fixture) run(d core.Deployment) uuid.UUID {
	var r core.FlowRun
	f.do(http.MethodPost, "/deployments/"+d.ID.String()+"/create_flow_run", map[string]any{"state": map[string]any{"type": "SCHEDULED"}}, &r)
	return r.ID
}

func (f *fixture) state(id uuid.UUID) core.StateType {
	f.t.Helper()
	r, err := f.c.FlowRun(context.Background(), id)
	if err != nil || r.StateType == nil {
		f.t.Fatalf("reading run %s: %v", id, err)
	}
	return *r.StateType
}

// waitState waits (generously: this is about an outcome, not a speed) for
// the run to reach want.
func (f *fixture) waitState(id uuid.UUID, want core.StateType) *core.FlowRun {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := f.c.FlowRun(context.Background(), id)
		if err == nil && r.StateType != nil && *r.StateType == want {
			return r
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("run %s never reached %s (last %v, %v)", id, want, r.StateType, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newAgent(f *fixture, limit int) *Agent {
	a := New(f.c, Config{Queues: []string{"q"}, Limit: limit, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.t.Cleanup(func() {
		a.mu.Lock()
		for _, cmd := range a.running {
			_ = cmd.Process.Kill()
		}
		a.mu.Unlock()
		a.wg.Wait()
	})
	return a
}

// TestProcessEnvironmentAndCrash: the run's process gets the run id, the API
// URL and the block's env, in the block's working directory; exiting
// without a final state marks the run Crashed with the exit code.
func TestProcessEnvironmentAndCrash(t *testing.T) {
	f := newFixture(t)
	d := f.deployment("crash", "sh", "-c", `echo "$PREFECT__FLOW_RUN_ID $MARK $PREFECT_API_URL" > out.txt; exit 3`)
	id := f.run(d)
	a := newAgent(f, 0)
	if err := a.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := f.waitState(id, core.Crashed)
	if r.State == nil || r.State.Message == nil || !strings.Contains(*r.State.Message, "status code 3") {
		t.Fatalf("crash message: %+v", r.State)
	}
	if r.InfrastructurePID == nil || !strings.Contains(*r.InfrastructurePID, ":") {
		t.Fatalf("infrastructure_pid not recorded: %v", r.InfrastructurePID)
	}
	out, err := os.ReadFile(filepath.Join(f.dir, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s from-the-block %s\n", id, f.c.Base)
	if string(out) != want {
		t.Fatalf("process saw %q, want %q", out, want)
	}
}

// TestCancellation: a run set Cancelling is stopped (its whole process
// group) and marked Cancelled, not Crashed.
func TestCancellation(t *testing.T) {
	f := newFixture(t)
	d := f.deployment("cancel", "sh", "-c", "sleep 120 & wait")
	id := f.run(d)
	a := newAgent(f, 0)
	if err := a.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.inFlight() != 1 {
		t.Fatalf("in flight %d, want 1", a.inFlight())
	}
	if _, err := f.c.SetFlowRunState(context.Background(), id, core.StateCreate{Type: core.Cancelling}, true); err != nil {
		t.Fatal(err)
	}
	if err := a.CheckCancellations(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.waitState(id, core.Cancelled)
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the cancelled run's process is still running")
	}
	if s := f.state(id); s != core.Cancelled {
		t.Fatalf("after the process ended the run is %s, want CANCELLED", s)
	}
}

// TestPausedQueueAndLimit: a paused queue hands out nothing; Limit caps the
// runs this agent starts.
func TestPausedQueueAndLimit(t *testing.T) {
	f := newFixture(t)
	d := f.deployment("sleepy", "sleep", "120")
	ids := []uuid.UUID{f.run(d), f.run(d)}
	q, err := f.c.WorkQueueByName(context.Background(), "q", false)
	if err != nil {
		t.Fatal(err)
	}
	f.do(http.MethodPatch, "/work_queues/"+q.ID.String(), map[string]any{"is_paused": true}, nil)
	a := newAgent(f, 1)
	if err := a.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if s := f.state(id); s != core.Scheduled {
			t.Fatalf("paused queue: run is %s", s)
		}
	}
	f.do(http.MethodPatch, "/work_queues/"+q.ID.String(), map[string]any{"is_paused": false}, nil)
	if err := a.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	pending := 0
	for _, id := range ids {
		if f.state(id) == core.Pending {
			pending++
		}
	}
	if pending != 1 || a.inFlight() != 1 {
		t.Fatalf("limit 1: %d runs claimed, %d in flight", pending, a.inFlight())
	}
}

// TestTwoAgentsOneRun: agents polling the same queue at once start the run
// once.
func TestTwoAgentsOneRun(t *testing.T) {
	f := newFixture(t)
	d := f.deployment("race", "sh", "-c", "echo started >> starts.txt")
	id := f.run(d)
	agents := []*Agent{newAgent(f, 0), newAgent(f, 0), newAgent(f, 0)}
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Add(1)
		go func() { defer wg.Done(); _ = a.PollOnce(context.Background()) }()
	}
	wg.Wait()
	for _, a := range agents {
		a.wg.Wait()
	}
	out, err := os.ReadFile(filepath.Join(f.dir, "starts.txt"))
	if err != nil || strings.Count(string(out), "started") != 1 {
		t.Fatalf("run %s started %d times (%v)", id, strings.Count(string(out), "started"), err)
	}
}
