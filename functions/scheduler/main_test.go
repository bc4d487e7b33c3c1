package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orrery-dev/orrery/internal/app/apptest"
	"github.com/orrery-dev/orrery/internal/store"
)

func post(t *testing.T, h http.Handler, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(b)))
	if rec.Code >= 300 {
		t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
	}
	var out map[string]any
	json.Unmarshal(rec.Body.Bytes(), &out)
	return out
}

// A tick schedules runs of an active deployment, never twice, and installs
// the built-in block types.
func TestTickRunsServices(t *testing.T) {
	a, logger := apptest.New(t)
	flow := post(t, a.API, "/api/flows/", map[string]any{"name": "ticked"})
	post(t, a.API, "/api/deployments/", map[string]any{"name": "hourly", "flow_id": flow["id"],
		"schedule": map[string]any{"interval": 3600}, "is_schedule_active": true})
	tick := newHandler(a, logger)
	ctx := context.Background()
	count := func() int {
		n, err := a.Store.CountFlowRuns(ctx, &store.RunFilters{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := tick(ctx, events.CloudWatchEvent{}); err != nil {
		t.Fatal(err)
	}
	first := count()
	if first == 0 {
		t.Fatal("the tick scheduled no runs")
	}
	if err := tick(ctx, events.CloudWatchEvent{}); err != nil {
		t.Fatal(err)
	}
	if again := count(); again != first {
		t.Fatalf("second tick: %d runs, want %d", again, first)
	}
	if _, err := a.Store.GetBlockTypeBySlug(ctx, "local-file-system"); err != nil {
		t.Fatal("built-in block types not installed:", err)
	}
}
