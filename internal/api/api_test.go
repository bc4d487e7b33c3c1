package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

type testBundle struct {
	t     *testing.T
	srv   *httptest.Server
	store store.Store
}

func setup(t *testing.T, mutate ...func(*api.Config)) *testBundle {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Store: st, Secret: box}
	for _, m := range mutate {
		m(&cfg)
	}
	srv := httptest.NewServer(api.New(cfg))
	t.Cleanup(srv.Close)
	return &testBundle{t: t, srv: srv, store: st}
}

// do sends a request and decodes the JSON answer into a generic value.
func (b *testBundle) do(method, path string, body any, headers ...string) (int, any) {
	b.t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			out = string(raw)
		}
	}
	return resp.StatusCode, out
}

func (b *testBundle) must(status int, method, path string, body any) map[string]any {
	b.t.Helper()
	got, out := b.do(method, path, body)
	if got != status {
		b.t.Fatalf("%s %s: status %d, want %d: %v", method, path, got, status, out)
	}
	m, _ := out.(map[string]any)
	return m
}

func field(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestRootRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		method, path string
		status       int
		want         any
	}{
		{"GET", "/api/health", 200, true},
		{"GET", "/api/hello", 200, "👋"},
		{"GET", "/api/admin/version", 200, "2.7.12"},
		{"GET", "/api/openapi.json", 200, nil},
		{"GET", "/", 200, nil},
		{"GET", "/api/no/such/route", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			status, out := b.do(tt.method, tt.path, nil)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%v)", status, tt.status, out)
			}
			if tt.want != nil && out != tt.want {
				t.Fatalf("body %v, want %v", out, tt.want)
			}
		})
	}
}

func TestErrorsAndValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *api.Config) { c.MaxBody = 4096 })
	tests := []struct {
		name           string
		method, path   string
		body           any
		headers        []string
		status         int
		wantKey        string
		wantDetailText string
	}{
		{"malformed json", "POST", "/api/flows/", `{"name": `, nil, 422, "exception_detail", ""},
		{"missing field", "POST", "/api/flows/", map[string]any{"tags": []string{}}, nil, 422, "exception_detail", ""},
		{"extra field forbidden", "POST", "/api/flows/", map[string]any{"name": "x", "bogus": 1}, nil, 422, "exception_detail", ""},
		{"bad name characters", "POST", "/api/flows/", map[string]any{"name": "a/b"}, nil, 422, "exception_detail", ""},
		{"bad uuid in path", "GET", "/api/flows/not-a-uuid", nil, nil, 422, "exception_detail", ""},
		{"bad uuid in body", "POST", "/api/flow_runs/", map[string]any{"flow_id": "nope"}, nil, 422, "exception_detail", ""},
		{"unknown state type", "POST", "/api/flow_runs/00000000-0000-0000-0000-000000000001/set_state", map[string]any{"state": map[string]any{"type": "BOGUS"}}, nil, 422, "exception_detail", ""},
		{"unknown flow", "GET", "/api/flows/00000000-0000-0000-0000-000000000001", nil, nil, 404, "detail", "Flow not found"},
		{"unknown flow run", "GET", "/api/flow_runs/00000000-0000-0000-0000-000000000001", nil, nil, 404, "detail", ""},
		{"unknown task run state", "GET", "/api/task_run_states/00000000-0000-0000-0000-000000000001", nil, nil, 404, "detail", "Flow run state not found"},
		{"set_state on unknown run", "POST", "/api/flow_runs/00000000-0000-0000-0000-000000000001/set_state", map[string]any{"state": map[string]any{"type": "RUNNING"}}, nil, 404, "detail", ""},
		{"graph of unknown run", "GET", "/api/flow_runs/00000000-0000-0000-0000-000000000001/graph", nil, nil, 404, "exception_message", ""},
		{"limit too large", "POST", "/api/flows/filter", map[string]any{"limit": 201}, nil, 422, "detail", "less than or equal to 200"},
		{"negative limit", "POST", "/api/flow_runs/filter", map[string]any{"limit": -1}, nil, 422, "detail", "greater than or equal to 0"},
		{"unknown key inside a filter", "POST", "/api/flow_runs/filter", map[string]any{"flow_runs": map[string]any{"bogus": 1}}, nil, 422, "exception_detail", ""},
		{"bad sort", "POST", "/api/flow_runs/filter", map[string]any{"sort": "SIDEWAYS"}, nil, 422, "exception_detail", ""},
		{"malformed api version", "POST", "/api/flows/filter", nil, []string{"X-PREFECT-API-VERSION", "banana"}, 400, "detail", "Invalid X-PREFECT-API-VERSION"},
		{"too old api version", "GET", "/api/hello", nil, []string{"X-PREFECT-API-VERSION", "0.7.9"}, 400, "detail", "requires version 0.8.0"},
		{"body too large", "POST", "/api/logs/", strings.Repeat(" ", 5000), nil, 413, "detail", "exceeds"},
		{"history interval too small", "POST", "/api/flow_runs/history", map[string]any{"history_start": "2023-01-01T00:00:00Z", "history_end": "2023-01-02T00:00:00Z", "history_interval_seconds": 0.5}, nil, 422, "detail", "not be less than 1 second"},
		{"cache key too long", "POST", "/api/task_runs/", map[string]any{"flow_run_id": "00000000-0000-0000-0000-000000000001", "task_key": "k", "dynamic_key": "0", "cache_key": strings.Repeat("x", 2001)}, nil, 422, "exception_detail", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := b.do(tt.method, tt.path, tt.body, tt.headers...)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			m, ok := out.(map[string]any)
			if !ok {
				t.Fatalf("body is not an object: %v", out)
			}
			if _, ok := m[tt.wantKey]; !ok {
				t.Fatalf("body %v lacks %q", m, tt.wantKey)
			}
			if tt.wantKey == "exception_detail" {
				if m["exception_message"] != "Invalid request received." {
					t.Fatalf("exception_message = %v", m["exception_message"])
				}
				if _, ok := m["request_body"]; !ok {
					t.Fatalf("no request_body echo: %v", m)
				}
			}
			if tt.wantDetailText != "" && !strings.Contains(m[tt.wantKey].(string), tt.wantDetailText) {
				t.Fatalf("%s = %q, want it to contain %q", tt.wantKey, m[tt.wantKey], tt.wantDetailText)
			}
		})
	}
}

func TestFlowCreateOrGetBothSlashForms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.must(201, "POST", "/api/flows/", map[string]any{"name": "etl", "tags": []string{"a"}})
	second := b.must(200, "POST", "/api/flows", map[string]any{"name": "etl", "tags": []string{"other"}})
	if first["id"] != second["id"] {
		t.Fatalf("create-or-get returned a different flow: %v vs %v", first["id"], second["id"])
	}
	if tags := second["tags"].([]any); len(tags) != 1 || tags[0] != "a" {
		t.Fatalf("existing flow's tags changed: %v", tags)
	}
	byName := b.must(200, "GET", "/api/flows/name/etl", nil)
	if byName["id"] != first["id"] {
		t.Fatal("read by name gave another flow")
	}
	b.must(204, "PATCH", "/api/flows/"+first["id"].(string), map[string]any{"tags": []string{"x", "y"}})
	got := b.must(200, "GET", "/api/flows/"+first["id"].(string), nil)
	if len(got["tags"].([]any)) != 2 {
		t.Fatalf("tags not updated: %v", got["tags"])
	}
	status, n := b.do("POST", "/api/flows/count", map[string]any{"flows": map[string]any{"name": map[string]any{"like_": "ET"}}})
	if status != 200 || n != float64(1) {
		t.Fatalf("count = %v (%d)", n, status)
	}
	b.must(204, "DELETE", "/api/flows/"+first["id"].(string), nil)
	b.must(404, "GET", "/api/flows/"+first["id"].(string), nil)
}

// newRun creates a flow and a flow run in the given state type.
func (b *testBundle) newRun(state string, extra map[string]any) map[string]any {
	b.t.Helper()
	flow := b.must(201, "POST", "/api/flows/", map[string]any{"name": "f-" + time.Now().Format("150405.000000000")})
	body := map[string]any{"flow_id": flow["id"], "state": map[string]any{"type": state}}
	for k, v := range extra {
		body[k] = v
	}
	return b.must(201, "POST", "/api/flow_runs/", body)
}

func (b *testBundle) setState(kind, id string, state map[string]any, force bool) (int, map[string]any) {
	b.t.Helper()
	status, out := b.do("POST", "/api/"+kind+"/"+id+"/set_state", map[string]any{"state": state, "force": force})
	m, _ := out.(map[string]any)
	return status, m
}

func TestFlowRunLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := b.newRun("PENDING", map[string]any{"tags": []string{"nightly"}, "parameters": map[string]any{"x": 1}})
	id := run["id"].(string)
	if run["state_type"] != "PENDING" || run["state_name"] != "Pending" || run["run_count"] != float64(0) {
		t.Fatalf("bad initial run: %v", run)
	}
	status, res := b.setState("flow_runs", id, map[string]any{"type": "RUNNING"}, false)
	if status != 201 || res["status"] != "ACCEPT" || field(res, "details", "type") != "accept_details" {
		t.Fatalf("RUNNING: %d %v", status, res)
	}
	if field(res, "state", "state_details", "flow_run_id") != id {
		t.Fatalf("state_details.flow_run_id not set: %v", res["state"])
	}
	// A second RUNNING proposal is redundant: ABORT, nothing written (200).
	status, res = b.setState("flow_runs", id, map[string]any{"type": "RUNNING"}, false)
	if status != 200 || res["status"] != "ABORT" {
		t.Fatalf("redundant RUNNING: %d %v", status, res)
	}
	status, res = b.setState("flow_runs", id, map[string]any{"type": "COMPLETED", "message": "All states completed.", "data": map[string]any{"type": "literal", "value": 3}}, false)
	if status != 201 || res["status"] != "ACCEPT" {
		t.Fatalf("COMPLETED: %d %v", status, res)
	}
	got := b.must(200, "GET", "/api/flow_runs/"+id, nil)
	if got["state_type"] != "COMPLETED" || got["run_count"] != float64(1) || got["start_time"] == nil || got["end_time"] == nil {
		t.Fatalf("bookkeeping wrong: %v", got)
	}
	if field(got, "state", "data", "value") != float64(3) {
		t.Fatalf("state data not echoed: %v", got["state"])
	}
	if got["total_run_time"].(float64) < 0 {
		t.Fatal("negative run time")
	}
	// Terminal runs cannot restart without a deployment.
	_, res = b.setState("flow_runs", id, map[string]any{"type": "RUNNING"}, false)
	if res["status"] != "ABORT" {
		t.Fatalf("restart of a completed run: %v", res)
	}
	_, hist := b.do("GET", "/api/flow_run_states/?flow_run_id="+id, nil)
	names := []string{}
	for _, s := range hist.([]any) {
		names = append(names, s.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "Pending,Running,Completed" {
		t.Fatalf("history = %v", names)
	}
	// Filters see it.
	_, list := b.do("POST", "/api/flow_runs/filter", map[string]any{"flow_runs": map[string]any{"state": map[string]any{"type": map[string]any{"any_": []string{"COMPLETED"}}}, "tags": map[string]any{"all_": []string{"nightly"}}}})
	if len(list.([]any)) != 1 {
		t.Fatalf("filter found %d runs", len(list.([]any)))
	}
	b.must(204, "PATCH", "/api/flow_runs/"+id, map[string]any{"name": "renamed", "infrastructure_pid": "host:42"})
	got = b.must(200, "GET", "/api/flow_runs/"+id, nil)
	if got["name"] != "renamed" || got["infrastructure_pid"] != "host:42" {
		t.Fatalf("patch not applied: %v", got)
	}
}

func TestFlowRunIdempotencyKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.newRun("PENDING", map[string]any{"idempotency_key": "k1"})
	again := b.must(200, "POST", "/api/flow_runs/", map[string]any{"flow_id": first["flow_id"], "idempotency_key": "k1", "state": map[string]any{"type": "RUNNING"}})
	if again["id"] != first["id"] || again["state_type"] != "PENDING" {
		t.Fatalf("idempotent create changed or duplicated the run: %v", again)
	}
}

func TestTaskRunRetriesCacheAndSlots(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := b.newRun("PENDING", nil)
	frID := run["id"].(string)
	b.setState("flow_runs", frID, map[string]any{"type": "RUNNING"}, false)

	mkTask := func(key string, extra map[string]any) map[string]any {
		body := map[string]any{"flow_run_id": frID, "task_key": key, "dynamic_key": "0", "name": key + "-0", "state": map[string]any{"type": "PENDING"}}
		for k, v := range extra {
			body[k] = v
		}
		return b.must(201, "POST", "/api/task_runs/", body)
	}
	// Retries: a failure with retries left is rejected into AwaitingRetry.
	task := mkTask("retry", map[string]any{"empirical_policy": map[string]any{"retries": 1, "retry_delay": 0}})
	tid := task["id"].(string)
	b.must(200, "POST", "/api/task_runs/", map[string]any{"flow_run_id": frID, "task_key": "retry", "dynamic_key": "0"}) // idempotent
	_, res := b.setState("task_runs", tid, map[string]any{"type": "RUNNING"}, false)
	if res["status"] != "ACCEPT" {
		t.Fatalf("task RUNNING: %v", res)
	}
	_, res = b.setState("task_runs", tid, map[string]any{"type": "FAILED", "message": "boom"}, false)
	if res["status"] != "REJECT" || field(res, "state", "name") != "AwaitingRetry" || field(res, "state", "type") != "SCHEDULED" {
		t.Fatalf("retry: %v", res)
	}
	_, res = b.setState("task_runs", tid, map[string]any{"type": "RUNNING"}, false)
	if res["status"] != "ACCEPT" || field(res, "state", "name") != "Retrying" {
		t.Fatalf("retrying: %v", res)
	}
	_, res = b.setState("task_runs", tid, map[string]any{"type": "FAILED", "message": "boom again"}, false)
	if res["status"] != "ACCEPT" || field(res, "state", "type") != "FAILED" {
		t.Fatalf("retries exhausted: %v", res)
	}
	if got := b.must(200, "GET", "/api/task_runs/"+tid, nil); got["run_count"] != float64(2) {
		t.Fatalf("run_count = %v", got["run_count"])
	}

	// Caching: a completed state with a cache key is served to the next run.
	cached := mkTask("cache-a", nil)
	details := map[string]any{"cache_key": "ck-1"}
	b.setState("task_runs", cached["id"].(string), map[string]any{"type": "RUNNING", "state_details": details}, false)
	b.setState("task_runs", cached["id"].(string), map[string]any{"type": "COMPLETED", "state_details": details, "data": map[string]any{"type": "literal", "value": "v"}}, false)
	second := mkTask("cache-b", nil)
	_, res = b.setState("task_runs", second["id"].(string), map[string]any{"type": "RUNNING", "state_details": details}, false)
	if res["status"] != "REJECT" || field(res, "state", "name") != "Cached" || field(res, "state", "data", "value") != "v" {
		t.Fatalf("cache miss: %v", res)
	}
	refresh := map[string]any{"cache_key": "ck-1", "refresh_cache": true}
	third := mkTask("cache-c", nil)
	_, res = b.setState("task_runs", third["id"].(string), map[string]any{"type": "RUNNING", "state_details": refresh}, false)
	if res["status"] != "ACCEPT" {
		t.Fatalf("refresh_cache still hit the cache: %v", res)
	}

	// Concurrency: limit 1 on a tag; the second task waits 30 s.
	b.must(200, "POST", "/api/concurrency_limits/", map[string]any{"tag": "db", "concurrency_limit": 1})
	t1 := mkTask("slot-1", map[string]any{"tags": []string{"db"}})
	t2 := mkTask("slot-2", map[string]any{"tags": []string{"db"}})
	_, res = b.setState("task_runs", t1["id"].(string), map[string]any{"type": "RUNNING"}, false)
	if res["status"] != "ACCEPT" {
		t.Fatalf("first slot: %v", res)
	}
	_, res = b.setState("task_runs", t2["id"].(string), map[string]any{"type": "RUNNING"}, false)
	if res["status"] != "WAIT" || field(res, "details", "delay_seconds") != float64(30) {
		t.Fatalf("second slot should wait: %v", res)
	}
	lim := b.must(200, "GET", "/api/concurrency_limits/tag/db", nil)
	if slots := lim["active_slots"].([]any); len(slots) != 1 || slots[0] != t1["id"] {
		t.Fatalf("active_slots = %v", lim["active_slots"])
	}
	b.setState("task_runs", t1["id"].(string), map[string]any{"type": "COMPLETED"}, false)
	_, res = b.setState("task_runs", t2["id"].(string), map[string]any{"type": "RUNNING"}, false)
	if res["status"] != "ACCEPT" {
		t.Fatalf("slot not released: %v", res)
	}
	// A forced CRASHED releases the slot too.
	b.setState("task_runs", t2["id"].(string), map[string]any{"type": "CRASHED"}, true)
	lim = b.must(200, "GET", "/api/concurrency_limits/tag/db", nil)
	if len(lim["active_slots"].([]any)) != 0 {
		t.Fatalf("crashed run kept its slot: %v", lim["active_slots"])
	}
	status, _ := b.do("DELETE", "/api/concurrency_limits/tag/db", nil)
	if status != 200 {
		t.Fatalf("delete limit: %d", status)
	}
}

func TestSubflowMirrorsOntoParentTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	parent := b.newRun("PENDING", nil)
	b.setState("flow_runs", parent["id"].(string), map[string]any{"type": "RUNNING"}, false)
	task := b.must(201, "POST", "/api/task_runs/", map[string]any{"flow_run_id": parent["id"], "task_key": "child", "dynamic_key": "0", "state": map[string]any{"type": "PENDING"}})
	child := b.must(201, "POST", "/api/flow_runs/", map[string]any{"flow_id": parent["flow_id"], "parent_task_run_id": task["id"], "state": map[string]any{"type": "PENDING"}})
	b.setState("flow_runs", child["id"].(string), map[string]any{"type": "RUNNING"}, false)
	b.setState("flow_runs", child["id"].(string), map[string]any{"type": "COMPLETED"}, false)
	got := b.must(200, "GET", "/api/task_runs/"+task["id"].(string), nil)
	if got["state_type"] != "COMPLETED" || field(got, "state", "state_details", "child_flow_run_id") != child["id"] {
		t.Fatalf("parent task does not mirror the subflow: %v", got["state"])
	}
}

func TestLogs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := b.newRun("PENDING", nil)
	recs := []map[string]any{}
	for i, msg := range []string{"first", "second", "third"} {
		recs = append(recs, map[string]any{"name": "prefect.flow_runs", "level": 20 + i*10, "message": msg,
			"timestamp": time.Date(2023, 1, 1, 0, 0, i, 0, time.UTC).Format(time.RFC3339), "flow_run_id": run["id"], "task_run_id": nil})
	}
	status, out := b.do("POST", "/api/logs/", recs)
	if status != 201 || out != nil {
		t.Fatalf("create logs: %d %v", status, out)
	}
	_, got := b.do("POST", "/api/logs/filter", map[string]any{"logs": map[string]any{"flow_run_id": map[string]any{"any_": []any{run["id"]}}, "level": map[string]any{"ge_": 30}}})
	list := got.([]any)
	if len(list) != 2 || list[0].(map[string]any)["message"] != "second" {
		t.Fatalf("log filter: %v", list)
	}
	_, got = b.do("POST", "/api/logs/filter", map[string]any{"sort": "TIMESTAMP_DESC", "limit": 1})
	if l := got.([]any); len(l) != 1 || l[0].(map[string]any)["message"] != "third" {
		t.Fatalf("log sort: %v", l)
	}
}

func TestBlocksSecretsAreHiddenAndEncrypted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bt := b.must(201, "POST", "/api/block_types/", map[string]any{"name": "My Creds", "slug": "my-creds"})
	b.must(409, "POST", "/api/block_types/", map[string]any{"name": "My Creds", "slug": "my-creds"})
	b.must(403, "POST", "/api/block_types/", map[string]any{"name": "Prefect Thing", "slug": "prefect-thing"})
	fields := map[string]any{
		"title": "MyCreds", "type": "object",
		"properties":      map[string]any{"user": map[string]any{"type": "string"}, "password": map[string]any{"type": "string", "format": "password", "writeOnly": true}},
		"secret_fields":   []string{"password"},
		"block_type_slug": "my-creds",
	}
	sc := b.must(201, "POST", "/api/block_schemas/", map[string]any{"fields": fields, "block_type_id": bt["id"], "capabilities": []string{"login"}, "version": "1"})
	again := b.must(200, "POST", "/api/block_schemas/", map[string]any{"fields": fields, "block_type_id": bt["id"], "capabilities": []string{"login"}, "version": "1"})
	if sc["id"] != again["id"] || !strings.HasPrefix(sc["checksum"].(string), "sha256:") {
		t.Fatalf("schema create-or-get: %v vs %v", sc, again)
	}
	b.must(200, "GET", "/api/block_schemas/checksum/"+sc["checksum"].(string)+"?version=1", nil)
	doc := b.must(201, "POST", "/api/block_documents/", map[string]any{"name": "prod", "data": map[string]any{"user": "ann", "password": "hunter2"}, "block_schema_id": sc["id"], "block_type_id": bt["id"]})
	if field(doc, "data", "password") != "********" || field(doc, "data", "user") != "ann" {
		t.Fatalf("secret not obfuscated on create: %v", doc["data"])
	}
	id := doc["id"].(string)
	plain := b.must(200, "GET", "/api/block_documents/"+id+"?include_secrets=true", nil)
	if field(plain, "data", "password") != "hunter2" {
		t.Fatalf("include_secrets: %v", plain["data"])
	}
	// A PATCH that sends the placeholder back keeps the stored secret.
	b.must(204, "PATCH", "/api/block_documents/"+id, map[string]any{"data": map[string]any{"user": "bob", "password": "********"}})
	plain = b.must(200, "GET", "/api/block_types/slug/my-creds/block_documents/name/prod?include_secrets=true", nil)
	if field(plain, "data", "password") != "hunter2" || field(plain, "data", "user") != "bob" {
		t.Fatalf("patch lost the secret: %v", plain["data"])
	}
	// Encrypted at rest: the stored bytes do not contain the secret.
	rec, err := b.store.GetBlockDocument(context.Background(), mustUUID(t, id))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rec.Data, []byte("hunter2")) || bytes.Contains(rec.Data, []byte("bob")) {
		t.Fatal("block data stored in clear")
	}
	b.must(409, "POST", "/api/block_documents/", map[string]any{"name": "prod", "data": map[string]any{}, "block_schema_id": sc["id"], "block_type_id": bt["id"]})
	// References: a parent document embedding prod.
	ptype := b.must(201, "POST", "/api/block_types/", map[string]any{"name": "Wrapper", "slug": "wrapper"})
	psc := b.must(201, "POST", "/api/block_schemas/", map[string]any{"fields": map[string]any{"title": "Wrapper", "properties": map[string]any{"creds": map[string]any{"$ref": "#/definitions/MyCreds"}}, "block_type_slug": "wrapper"}, "block_type_id": ptype["id"]})
	parent := b.must(201, "POST", "/api/block_documents/", map[string]any{"is_anonymous": true, "data": map[string]any{"creds": map[string]any{"$ref": map[string]any{"block_document_id": id}}}, "block_schema_id": psc["id"], "block_type_id": ptype["id"]})
	if !strings.HasPrefix(parent["name"].(string), "anonymous-") || field(parent, "data", "creds", "user") != "bob" || field(parent, "block_document_references", "creds", "block_document", "id") != id {
		t.Fatalf("reference not expanded: %v", parent)
	}
	_, list := b.do("POST", "/api/block_documents/filter", map[string]any{})
	if len(list.([]any)) != 1 {
		t.Fatalf("anonymous documents must be excluded by default: %v", list)
	}
	_, caps := b.do("GET", "/api/block_capabilities/", nil)
	if c := caps.([]any); len(c) != 1 || c[0] != "login" {
		t.Fatalf("capabilities: %v", caps)
	}
}

func TestSavedSearchesUpsert(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.must(201, "PUT", "/api/saved_searches/", map[string]any{"name": "mine", "filters": []any{}})
	second := b.must(200, "PUT", "/api/saved_searches/", map[string]any{"name": "mine", "filters": []any{map[string]any{"object": "flow", "property": "name", "type": "string", "operation": "equals", "value": "x"}}})
	if first["id"] != second["id"] || len(second["filters"].([]any)) != 1 {
		t.Fatalf("upsert: %v %v", first, second)
	}
	b.must(204, "DELETE", "/api/saved_searches/"+first["id"].(string), nil)
}

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
