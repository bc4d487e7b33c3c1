package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/client"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

func newAPI(t *testing.T) *client.Client {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: st}))
	t.Cleanup(func() { srv.Close(); st.Close() })
	return client.New(srv.URL+"/api/", "")
}

// TestErrorText: the error shows the server's message from either 2.7 error
// body, or the raw body when it is neither.
func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{404, `{"detail":"Flow run not found"}`, "HTTP 404: Flow run not found"},
		{422, `{"exception_message":"Invalid request received.","exception_detail":[]}`, "HTTP 422: Invalid request received."},
		{502, `Bad Gateway`, "HTTP 502: Bad Gateway"},
	} {
		if got := (&client.Error{Status: tc.status, Body: tc.body}).Error(); got != tc.want {
			t.Errorf("Error(%d %s) = %q, want %q", tc.status, tc.body, got, tc.want)
		}
	}
	wrapped := fmt.Errorf("reading: %w", &client.Error{Status: 404})
	if !client.IsNotFound(wrapped) || client.IsNotFound(&client.Error{Status: 409}) || client.IsNotFound(errors.New("x")) {
		t.Fatal("IsNotFound misjudges")
	}
}

// TestHeaders: every request carries the API version and, when set, the key.
func TestHeaders(t *testing.T) {
	var mu sync.Mutex
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
		w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	c := client.New(srv.URL+"/api", "orr_k_s")
	if _, err := c.FilterFlowRuns(context.Background(), map[string]any{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.Get("Authorization") != "Bearer orr_k_s" || got.Get("X-PREFECT-API-VERSION") != api.APIVersion || got.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", got)
	}
}

// TestAgainstTheAPI: the calls the CLI and the agent make, against the real
// handler.
func TestAgainstTheAPI(t *testing.T) {
	ctx := context.Background()
	c := newAPI(t)

	q, err := c.WorkQueueByName(ctx, "etl queue", false)
	if !client.IsNotFound(err) {
		t.Fatalf("missing queue without create: %v", err)
	}
	q, err = c.WorkQueueByName(ctx, "etl queue", true)
	if err != nil || q.Name != "etl queue" {
		t.Fatalf("create queue: %v %+v", err, q)
	}
	again, err := c.WorkQueueByName(ctx, "etl queue", true)
	if err != nil || again.ID != q.ID {
		t.Fatalf("second lookup made another queue: %v", err)
	}

	var flow core.Flow
	if err := c.Do(ctx, http.MethodPost, "/flows/", map[string]any{"name": "etl"}, &flow); err != nil {
		t.Fatal(err)
	}
	var dep core.Deployment
	if err := c.Do(ctx, http.MethodPost, "/deployments/", map[string]any{"name": "daily", "flow_id": flow.ID, "work_queue_name": "etl queue"}, &dep); err != nil {
		t.Fatal(err)
	}
	if d, err := c.DeploymentByName(ctx, "etl/daily"); err != nil || d.ID != dep.ID {
		t.Fatalf("DeploymentByName: %v", err)
	}
	if _, err := c.DeploymentByName(ctx, "no-slash"); err == nil || !strings.Contains(err.Error(), "FLOW_NAME/DEPLOYMENT_NAME") {
		t.Fatalf("name without a slash: %v", err)
	}
	if _, err := c.DeploymentByName(ctx, "etl/nope"); !client.IsNotFound(err) {
		t.Fatalf("unknown deployment: %v", err)
	}
	if d, err := c.Deployment(ctx, dep.ID); err != nil || d.Name != "daily" {
		t.Fatalf("Deployment: %v %+v", err, d)
	}

	var run core.FlowRun
	if err := c.Do(ctx, http.MethodPost, "/deployments/"+dep.ID.String()+"/create_flow_run", map[string]any{"state": map[string]any{"type": "SCHEDULED"}}, &run); err != nil {
		t.Fatal(err)
	}
	runs, err := c.QueueRuns(ctx, q.ID, time.Now().Add(time.Minute), 10)
	if err != nil || len(runs) != 1 || runs[0].ID != run.ID {
		t.Fatalf("QueueRuns: %v %d", err, len(runs))
	}
	res, err := c.SetFlowRunState(ctx, run.ID, core.StateCreate{Type: core.Pending}, false)
	if err != nil || res.Status != orchestration.Accept {
		t.Fatalf("claim: %v %+v", err, res)
	}
	// A second claim of the same run is not accepted: this is what keeps
	// two agents from starting one run.
	res, err = c.SetFlowRunState(ctx, run.ID, core.StateCreate{Type: core.Pending}, false)
	if err != nil || res.Status == orchestration.Accept {
		t.Fatalf("second claim: %v %+v", err, res)
	}
	got, err := c.FlowRun(ctx, run.ID)
	if err != nil || got.StateType == nil || *got.StateType != core.Pending {
		t.Fatalf("FlowRun: %v %+v", err, got)
	}
	if _, err := c.FlowRun(ctx, uuid.New()); !client.IsNotFound(err) {
		t.Fatalf("unknown run: %v", err)
	}
}
