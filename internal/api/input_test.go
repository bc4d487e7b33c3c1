package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// Strict input (issue 11, parts 3 and 4): every case below was answered
// wrongly before — a 500, a silent change, a plain-text 404 or Go error
// text — and must now get 2.7's answer naming the field.

const missingRun = "/api/flow_runs/00000000-0000-0000-0000-000000000001"

func TestStrictInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		}
		return out
	}
	tags := func(n, size int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strings.Repeat("t", size)
		}
		return out
	}
	history := map[string]any{"history_start": "2023-01-02T00:00:00Z", "history_end": "2023-01-01T00:00:00Z", "history_interval_seconds": 3600}
	tests := []struct {
		name         string
		method, path string
		body         any
		wantLoc      []any
		wantType     string
	}{
		// Before: 500 "makeslice: cap out of range".
		{"flow run history ends before it starts", "POST", "/api/flow_runs/history", history, []any{"body", "history_end"}, "value_error"},
		{"task run history ends before it starts", "POST", "/api/task_runs/history", history, []any{"body", "history_end"}, "value_error"},
		// Before: 500 "cannot unmarshal string".
		{"work queue priority is a string", "POST", "/api/work_queues/", map[string]any{"name": "q", "priority": "high"}, []any{"body", "priority"}, "type_error.integer"},
		{"work queue description is a number", "POST", "/api/work_queues/", map[string]any{"name": "q", "description": 5}, []any{"body", "description"}, "type_error.str"},
		{"work queue concurrency limit is a string", "POST", "/api/work_queues/", map[string]any{"name": "q", "concurrency_limit": "x"}, []any{"body", "concurrency_limit"}, "type_error.integer"},
		{"work queue last_polled is not a datetime", "POST", "/api/work_queues/", map[string]any{"name": "q", "last_polled": "soon"}, []any{"body", "last_polled"}, "value_error.datetime"},
		{"work queue priority below 1", "POST", "/api/work_queues/", map[string]any{"name": "q", "priority": 0}, []any{"body", "priority"}, "value_error.number.not_ge"},
		// Before: silently stored as "".
		{"null tag", "POST", "/api/flows/", map[string]any{"name": "f", "tags": []any{nil}}, []any{"body", "tags", 0}, "type_error.none.not_allowed"},
		{"null tags list", "POST", "/api/flows/", map[string]any{"name": "f", "tags": nil}, []any{"body", "tags"}, "type_error.none.not_allowed"},
		{"null name", "POST", "/api/flows/", map[string]any{"name": nil}, []any{"body", "name"}, "type_error.none.not_allowed"},
		{"null flow_id", "POST", "/api/flow_runs/", map[string]any{"flow_id": nil}, []any{"body", "flow_id"}, "type_error.none.not_allowed"},
		{"null force", "POST", missingRun + "/set_state", map[string]any{"state": map[string]any{"type": "RUNNING"}, "force": nil}, []any{"body", "force"}, "type_error.none.not_allowed"},
		// Before: the bytes became U+FFFD without a word.
		{"invalid UTF-8 in a name", "POST", "/api/flows/", "{\"name\": \"a\xff\"}", []any{"body", "name"}, "value_error.unicode"},
		{"unpaired surrogate in a tag", "POST", "/api/flows/", `{"name": "f", "tags": ["\ud800"]}`, []any{"body", "tags", 0}, "value_error.unicode"},
		{"invalid UTF-8 in parameters", "POST", "/api/flow_runs/", "{\"flow_id\": \"00000000-0000-0000-0000-000000000001\", \"parameters\": {\"x\": \"\xc3\"}}", []any{"body", "parameters"}, "value_error.unicode"},
		// Before: ignored (the run was not even looked up as invalid).
		{"malformed state timestamp", "POST", missingRun + "/set_state", map[string]any{"state": map[string]any{"type": "RUNNING", "timestamp": "yesterday"}}, []any{"body", "state", "timestamp"}, "value_error.datetime"},
		{"malformed state id", "POST", missingRun + "/set_state", map[string]any{"state": map[string]any{"type": "RUNNING", "id": "x"}}, []any{"body", "state", "id"}, "type_error.uuid"},
		// Before: a 422 located at "body" alone, in Go's words.
		{"bad log timestamp names its record", "POST", "/api/logs/", []any{map[string]any{"name": "n", "level": 20, "message": "m", "timestamp": "x", "flow_run_id": "00000000-0000-0000-0000-000000000001"}}, []any{"body", 0, "timestamp"}, "value_error.datetime"},
		{"missing log field names its record", "POST", "/api/logs/", []any{map[string]any{"name": "n", "level": 20, "message": "m", "timestamp": "2023-01-01T00:00:00Z"}}, []any{"body", 0, "flow_run_id"}, "value_error.missing"},
		{"bad cache expiration", "POST", "/api/task_runs/", map[string]any{"flow_run_id": "00000000-0000-0000-0000-000000000001", "task_key": "k", "dynamic_key": "0", "cache_expiration": "never"}, []any{"body", "cache_expiration"}, "value_error.datetime"},
		{"deployment storage id not a uuid", "POST", "/api/deployments/", map[string]any{"name": "d", "flow_id": "00000000-0000-0000-0000-000000000001", "storage_document_id": "x"}, []any{"body", "storage_document_id"}, "type_error.uuid"},
		{"deployment description a number", "POST", "/api/deployments/", map[string]any{"name": "d", "flow_id": "00000000-0000-0000-0000-000000000001", "description": 3}, []any{"body", "description"}, "type_error.str"},
		{"deployment without a flow", "POST", "/api/deployments/", map[string]any{"name": "d"}, []any{"body", "flow_id"}, "value_error.missing"},
		{"deployment with a null name", "POST", "/api/deployments/", map[string]any{"name": nil, "flow_id": "00000000-0000-0000-0000-000000000001"}, []any{"body", "name"}, "type_error.none.not_allowed"},
		// Patterns: the tag is the rule, 2.7's words the message.
		{"flow name with a slash", "POST", "/api/flows/", map[string]any{"name": "a/b"}, []any{"body", "name"}, "value_error.invalidname"},
		{"work queue name with a slash", "POST", "/api/work_queues/", map[string]any{"name": "a%b"}, []any{"body", "name"}, "value_error.invalidname"},
		{"block type slug in capitals", "POST", "/api/block_types/", map[string]any{"name": "B", "slug": "Big"}, []any{"body", "slug"}, "value_error"},
		// Found by the fuzz target: encoding/json fills limit from "LIMIT".
		{"a key in other case is checked as its field", "POST", "/api/work_queues/00000000-0000-0000-0000-000000000001/get_runs", map[string]any{"LIMIT": 500}, []any{"body", "LIMIT"}, "value_error.number.not_le"},
		// Finding F9: nulls for fields 2.7 does not declare Optional.
		{"null untrackable_result", "POST", missingRun + "/set_state", map[string]any{"state": map[string]any{"type": "FAILED", "state_details": map[string]any{"untrackable_result": nil}}}, []any{"body", "state", "state_details", "untrackable_result"}, "type_error.none.not_allowed"},
		{"null retry_delay_seconds", "PATCH", missingRun, map[string]any{"empirical_policy": map[string]any{"retry_delay_seconds": nil}}, []any{"body", "empirical_policy", "retry_delay_seconds"}, "type_error.none.not_allowed"},
		{"null queue filter tag", "POST", "/api/work_queues/", map[string]any{"name": "q", "filter": map[string]any{"tags": []any{nil}}}, []any{"body", "filter", "tags", 0}, "type_error.none.not_allowed"},
		// Findings F10/F13: filter operators are and_/or_.
		{"unknown filter operator", "POST", "/api/flows/filter", map[string]any{"flows": map[string]any{"operator": "xor_"}}, []any{"body", "flows", "operator"}, "type_error.enum"},
		{"filter operator a number", "POST", "/api/task_runs/count", map[string]any{"task_runs": map[string]any{"tags": map[string]any{"operator": 1}}}, []any{"body", "task_runs", "tags", "operator"}, "type_error.str"},
		{"log sort a number", "POST", "/api/logs/filter", map[string]any{"sort": 1}, []any{"body", "sort"}, "type_error.str"},
		// 2.7: retry_delay is Union[None, int, List[int]] (was stored as null).
		{"task retry_delay a list of objects", "POST", "/api/task_runs/", map[string]any{"flow_run_id": "00000000-0000-0000-0000-000000000001", "task_key": "k", "dynamic_key": "0", "empirical_policy": map[string]any{"retry_delay": []any{map[string]any{}}}}, []any{"body", "empirical_policy", "retry_delay"}, "type_error"},
		{"task retry_delay a null item", "POST", "/api/task_runs/", map[string]any{"flow_run_id": "00000000-0000-0000-0000-000000000001", "task_key": "k", "dynamic_key": "0", "empirical_policy": map[string]any{"retry_delay": []any{1, nil}}}, []any{"body", "empirical_policy", "retry_delay"}, "type_error"},
		// 2.7: operator: Operator = Field(default=and_), not Optional.
		{"null filter operator", "POST", "/api/flow_runs/filter", map[string]any{"task_runs": map[string]any{"tags": map[string]any{"operator": nil}}}, []any{"body", "task_runs", "tags", "operator"}, "type_error.none.not_allowed"},
		{"null block schema operator", "POST", "/api/block_schemas/filter", map[string]any{"block_schemas": map[string]any{"operator": nil}}, []any{"body", "block_schemas", "operator"}, "type_error.none.not_allowed"},
		// Finding F12.
		{"parameter schema a list", "POST", "/api/deployments/", map[string]any{"name": "d", "flow_id": "00000000-0000-0000-0000-000000000001", "parameter_openapi_schema": []any{nil}}, []any{"body", "parameter_openapi_schema"}, "type_error.dict"},
		// Finding F14.
		{"include_secrets not a bool", "GET", "/api/block_documents/00000000-0000-0000-0000-000000000001?include_secrets=abc", nil, []any{"query", "include_secrets"}, "type_error.bool"},
		{"block type logo a list", "POST", "/api/block_types/", map[string]any{"name": "b", "slug": "b", "logo_url": []int{1}}, []any{"body", "logo_url"}, "type_error.str"},
		{"concurrency limit a string", "POST", "/api/concurrency_limits/", map[string]any{"tag": "t", "concurrency_limit": "1"}, []any{"body", "concurrency_limit"}, "type_error.integer"},
		{"log level a float", "POST", "/api/logs/", []any{map[string]any{"name": "n", "level": 2.5, "message": "m", "timestamp": "2023-01-01T00:00:00Z", "flow_run_id": "00000000-0000-0000-0000-000000000001"}}, []any{"body", 0, "level"}, "type_error.integer"},
		// Bounds: before, none — a 16 MiB name or 32k filter items were taken.
		{"flow name too long", "POST", "/api/flows/", map[string]any{"name": strings.Repeat("n", 1025)}, []any{"body", "name"}, "value_error.any_str.max_length"},
		{"too many tags", "POST", "/api/flows/", map[string]any{"name": "f", "tags": tags(1001, 1)}, []any{"body", "tags"}, "value_error.list.max_items"},
		{"tag too long", "POST", "/api/flows/", map[string]any{"name": "f", "tags": tags(1, 1025)}, []any{"body", "tags", 0}, "value_error.any_str.max_length"},
		{"filter id list too long", "POST", "/api/flow_runs/filter", map[string]any{"flow_runs": map[string]any{"id": map[string]any{"any_": ids(10_001)}}}, []any{"body", "flow_runs", "id", "any_"}, "value_error.list.max_items"},
		{"filter tags.all_ too long", "POST", "/api/flows/filter", map[string]any{"flows": map[string]any{"tags": map[string]any{"all_": tags(10_001, 1)}}}, []any{"body", "flows", "tags", "all_"}, "value_error.list.max_items"},
		{"filter name too long", "POST", "/api/flows/count", map[string]any{"flows": map[string]any{"name": map[string]any{"any_": tags(1, 1025)}}}, []any{"body", "flows", "name", "any_", 0}, "value_error.any_str.max_length"},
		{"filter like_ too long", "POST", "/api/flows/filter", map[string]any{"flows": map[string]any{"name": map[string]any{"like_": strings.Repeat("x", 1025)}}}, []any{"body", "flows", "name", "like_"}, "value_error.any_str.max_length"},
		{"filter null id item", "POST", "/api/flow_runs/filter", map[string]any{"flow_runs": map[string]any{"id": map[string]any{"any_": []any{nil}}}}, []any{"body", "flow_runs", "id", "any_", 0}, "type_error.none.not_allowed"},
		{"filter bad state type", "POST", "/api/flow_runs/filter", map[string]any{"flow_runs": map[string]any{"state": map[string]any{"type": map[string]any{"any_": []string{"NOPE"}}}}}, []any{"body", "flow_runs", "state", "type", "any_", 0}, "type_error.enum"},
		{"filter bad datetime", "POST", "/api/flow_runs/filter", map[string]any{"flow_runs": map[string]any{"start_time": map[string]any{"before_": "x"}}}, []any{"body", "flow_runs", "start_time", "before_"}, "value_error.datetime"},
		// Findings F1/F2 (schemathesis): a null body was a panic or a no-op.
		{"null body on task run PATCH", "PATCH", "/api/task_runs/00000000-0000-0000-0000-000000000001", "null", []any{"body"}, "value_error.missing"},
		{"null body on flow PATCH", "PATCH", "/api/flows/00000000-0000-0000-0000-000000000001", "null", []any{"body"}, "value_error.missing"},
		{"null log batch", "POST", "/api/logs/", "null", []any{"body"}, "value_error.missing"},
		{"API key with no name", "POST", "/api/api_keys/", map[string]any{}, []any{"body", "name"}, "value_error.missing"},
		{"API key with an empty name", "POST", "/api/api_keys/", map[string]any{"name": ""}, []any{"body", "name"}, "value_error.any_str.min_length"},
		{"too many log records", "POST", "/api/logs/", make([]struct{}, 100_001), []any{"body"}, "value_error.list.max_items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := b.do(tt.method, tt.path, tt.body)
			if status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %.300v", status, out)
			}
			m, _ := out.(map[string]any)
			detail, _ := m["exception_detail"].([]any)
			if m["exception_message"] != "Invalid request received." || len(detail) == 0 {
				t.Fatalf("not a 2.7 validation body: %.300v", out)
			}
			var found bool
			for _, d := range detail {
				e := d.(map[string]any)
				msg, _ := e["msg"].(string)
				for _, goText := range []string{"json:", "cannot unmarshal", "Go value", "looking for beginning", "parsing time"} {
					if strings.Contains(msg, goText) {
						t.Errorf("Go error text in %q", msg)
					}
				}
				if reflect.DeepEqual(e["loc"], normalize(tt.wantLoc)) && e["type"] == tt.wantType {
					found = true
				}
			}
			if !found {
				t.Fatalf("no error at %v of type %s in %.500v", tt.wantLoc, tt.wantType, detail)
			}
		})
	}
}

// Nulls inside the domain models are taken where 2.7 declares the field
// Optional (the stock client sends some of them).
func TestNullsInsideDomainModels(t *testing.T) {
	t.Parallel()
	b := setup(t)
	flow := b.must(201, "POST", "/api/flows/", map[string]any{"name": "f"})
	b.must(201, "POST", "/api/flow_runs/", map[string]any{"flow_id": flow["id"],
		"empirical_policy": map[string]any{"resuming": nil, "pause_keys": nil, "max_retries": 0, "retry_delay_seconds": 0.0},
		"state":            map[string]any{"type": "SCHEDULED", "state_details": map[string]any{"cache_key": nil, "scheduled_time": nil}}})
	b.must(201, "POST", "/api/work_queues/", map[string]any{"name": "q", "filter": map[string]any{"tags": nil, "deployment_ids": nil}})
}

// normalize gives a loc the types it has after a JSON round trip.
func normalize(loc []any) []any {
	raw, _ := json.Marshal(loc)
	var out []any
	_ = json.Unmarshal(raw, &out)
	return out
}

// 2.7.12's words for a name with a forbidden character.
func TestNameCharacters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, out := b.do("POST", "/api/flows/", map[string]any{"name": "a/b"})
	e := out.(map[string]any)["exception_detail"].([]any)[0].(map[string]any)
	if want := "Name 'a/b' contains an invalid character. Must not contain any of: ['/', '%', '&', '>', '<']."; e["msg"] != want {
		t.Fatalf("msg %q, want %q", e["msg"], want)
	}
}

// A bound names its limit, as pydantic's ctx does.
func TestBoundNamesItsLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	status, out := b.do("POST", "/api/flows/", map[string]any{"name": strings.Repeat("n", 1025)})
	if status != 422 {
		t.Fatalf("status %d", status)
	}
	e := out.(map[string]any)["exception_detail"].([]any)[0].(map[string]any)
	if e["msg"] != "ensure this value has at most 1024 characters" {
		t.Fatalf("msg %q", e["msg"])
	}
	if ctx, _ := e["ctx"].(map[string]any); ctx["limit_value"] != 1024.0 {
		t.Fatalf("ctx %v", e["ctx"])
	}
}

// At the bounds, requests are served: the limits never refuse what they
// document as allowed.
func TestAtTheBounds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tags := make([]string, 1000)
	for i := range tags {
		tags[i] = fmt.Sprintf("%04d%s", i, strings.Repeat("t", 1020))
	}
	status, out := b.do("POST", "/api/flows/", map[string]any{"name": strings.Repeat("n", 1024), "tags": tags})
	if status != 201 {
		t.Fatalf("create at the bounds: %d %.300v", status, out)
	}
	ids := make([]string, 10_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
	}
	status, out = b.do("POST", "/api/flow_runs/filter", map[string]any{"flow_runs": map[string]any{"id": map[string]any{"any_": ids}}})
	if status != 200 {
		t.Fatalf("filter with 10000 ids: %d %.300v", status, out)
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// 2.7.12's own check, with its HTTPException body.
	status, out := b.do("POST", "/api/flow_runs/history", map[string]any{"history_start": "2023-01-01T00:00:00Z", "history_end": "2023-01-02T00:00:00Z", "history_interval_seconds": 0.5})
	if status != 422 || out.(map[string]any)["detail"] != "History interval must not be less than 1 second." {
		t.Fatalf("interval too small: %d %v", status, out)
	}
	// A century by the second is bounded: 2.7.12 also stops at 500 intervals.
	status, out = b.do("POST", "/api/task_runs/history", map[string]any{"history_start": "2000-01-01T00:00:00Z", "history_end": "2100-01-01T00:00:00Z", "history_interval_seconds": 1})
	if status != 200 || len(out.([]any)) != 500 {
		t.Fatalf("long history: %d, %d intervals", status, len(out.([]any)))
	}
	// An interval too large for a time.Duration is still no panic.
	status, out = b.do("POST", "/api/flow_runs/history", map[string]any{"history_start": "2000-01-01T00:00:00Z", "history_end": "2100-01-01T00:00:00Z", "history_interval_seconds": 1e11})
	if status != 200 && status != 422 {
		t.Fatalf("huge interval: %d %v", status, out)
	}
}

// Finding F3: a refused database clear answers 2.7.12's 400 null, as JSON.
func TestClearNotConfirmed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, err := http.Post(b.srv.URL+"/api/admin/database/clear", "application/json", strings.NewReader(`{"confirm": false}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || string(raw) != "null" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %q %q", resp.StatusCode, raw, resp.Header.Get("Content-Type"))
	}
}

// Unknown routes answer as 2.7's Starlette does, in JSON.
func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		method, path string
		status       int
		detail       string
	}{
		{"GET", "/api/nope", 404, "Not Found"},
		{"POST", "/api/nope", 404, "Not Found"},
		{"GET", "/api/flows/filter/extra", 404, "Not Found"},
		{"GET", "/api/logs/filter", 405, "Method Not Allowed"},
		{"DELETE", "/api/hello", 405, "Method Not Allowed"},
		{"PUT", "/api/health", 405, "Method Not Allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			status, out := b.do(tt.method, tt.path, nil)
			m, _ := out.(map[string]any)
			if status != tt.status || m["detail"] != tt.detail {
				t.Fatalf("%d %v, want %d %q", status, out, tt.status, tt.detail)
			}
		})
	}
}
