package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
)

// TestLambdaLogSearchAndDownload: in the function (DynamoDB, keys always
// checked) a read key downloads a run's logs as text — buffered whole by
// the proxy, which is what API Gateway returns — and a text search
// without a run is refused with the reason.
func TestLambdaLogSearchAndDownload(t *testing.T) {
	a := lambdaApp(t, "orrery-fn-logs-")
	ctx := context.Background()
	keys := map[core.Scope]string{}
	var err error
	for _, sc := range []core.Scope{core.ScopeRead, core.ScopeWrite} {
		if keys[sc], _, err = auth.Create(ctx, a.Store, auth.CreateParams{Name: string(sc), Scope: sc, CreatedBy: "test"}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	h := newHandler(a.API)
	call := func(scope core.Scope, method, path, body string, status int) (string, map[string]string) {
		t.Helper()
		e := event(method, path, body)
		e.Headers["authorization"] = "Bearer " + keys[scope]
		resp, err := h(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != status {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, status, resp.Body)
		}
		return resp.Body, resp.Headers
	}
	var flow, run struct{ ID string }
	body, _ := call(core.ScopeWrite, http.MethodPost, "/api/flows/", `{"name":"f"}`, 201)
	_ = json.Unmarshal([]byte(body), &flow)
	body, _ = call(core.ScopeWrite, http.MethodPost, "/api/flow_runs/", `{"flow_id":"`+flow.ID+`","name":"lambda-run"}`, 201)
	_ = json.Unmarshal([]byte(body), &run)
	var recs []string
	for i := range 3 {
		recs = append(recs, fmt.Sprintf(`{"name":"prefect.flow_runs","level":20,"message":"Line %d","timestamp":"2026-01-01T00:00:0%dZ","flow_run_id":"%s"}`, i, i, run.ID))
	}
	call(core.ScopeWrite, http.MethodPost, "/api/logs/", "["+strings.Join(recs, ",")+"]", 201)

	body, headers := call(core.ScopeRead, http.MethodGet, "/api/flow_runs/"+run.ID+"/logs/download", "", 200)
	want := "2026-01-01T00:00:00.000000Z INFO prefect.flow_runs - Line 0\n2026-01-01T00:00:01.000000Z INFO prefect.flow_runs - Line 1\n2026-01-01T00:00:02.000000Z INFO prefect.flow_runs - Line 2\n"
	if body != want || headers["Content-Type"] != "text/plain; charset=utf-8" || !strings.Contains(headers["Content-Disposition"], `filename="lambda-run-logs.txt"`) {
		t.Fatalf("download: %v\n%q", headers, body)
	}
	body, _ = call(core.ScopeRead, http.MethodPost, "/api/logs/filter", `{"logs":{"text":{"query":"LINE 1"},"flow_run_id":{"any_":["`+run.ID+`"]}}}`, 200)
	if strings.Count(body, `"message"`) != 1 || !strings.Contains(body, "Line 1") {
		t.Fatalf("search in a run: %s", body)
	}
	body, _ = call(core.ScopeRead, http.MethodPost, "/api/logs/filter", `{"logs":{"text":{"query":"line"}}}`, 422)
	if !strings.Contains(body, "flow_run_id") {
		t.Fatalf("search across runs: %s", body)
	}
}
