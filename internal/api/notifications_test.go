package api_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
)

// notifyBlock creates a block document for policies to point at.
func (b *testBundle) notifyBlock() string {
	b.t.Helper()
	bt := b.must(201, "POST", "/api/block_types/", map[string]any{"name": "Hook", "slug": "hook"})
	sc := b.must(201, "POST", "/api/block_schemas/", map[string]any{"block_type_id": bt["id"], "capabilities": []string{"notify"},
		"fields": map[string]any{"title": "Hook", "type": "object", "properties": map[string]any{"url": map[string]any{"type": "string"}}}})
	doc := b.must(201, "POST", "/api/block_documents/", map[string]any{"name": "hook", "data": map[string]any{"url": "http://127.0.0.1:9/"},
		"block_schema_id": sc["id"], "block_type_id": bt["id"]})
	return doc["id"].(string)
}

func TestNotificationPolicyRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := b.notifyBlock()
	const missing = "00000000-0000-4000-8000-000000000000"
	base := "/api/flow_run_notification_policies/"

	// Create answers 201 with 2.7.12's defaults filled in.
	p := b.must(201, "POST", base, map[string]any{"block_document_id": doc})
	if p["is_active"] != true || fmt.Sprint(p["state_names"]) != "[]" || fmt.Sprint(p["tags"]) != "[]" ||
		p["message_template"] != nil || p["block_document_id"] != doc || p["created"] == nil || p["updated"] == nil {
		t.Fatalf("create: %v", p)
	}
	id := p["id"].(string)
	q := b.must(201, "POST", base, map[string]any{"block_document_id": doc, "is_active": false, "state_names": []string{"Failed"},
		"tags": []string{"prod"}, "message_template": "Run {flow_run_name} is {flow_run_state_name}"})

	tests := []struct {
		name       string
		method     string
		path       string
		body       any
		status     int
		wantDetail string // exception_detail[0].msg, or detail
		wantLoc    string
	}{
		{"read", "GET", base + id, nil, 200, "", ""},
		{"read missing", "GET", base + missing, nil, 404, "flow run notification policy not found", ""},
		{"read bad id", "GET", base + "not-a-uuid", nil, 422, "value is not a valid uuid", "[path id]"},
		{"unknown template variable", "POST", base, map[string]any{"block_document_id": doc, "message_template": "hi {nope}"},
			422, "Invalid template variable provided: 'nope'", "[body message_template]"},
		{"bad template syntax", "POST", base, map[string]any{"block_document_id": doc, "message_template": "{"},
			422, "Single '{' encountered in format string", "[body message_template]"},
		{"state_names not a list", "POST", base, map[string]any{"block_document_id": doc, "state_names": "Failed"},
			422, "value is not a valid list", "[body state_names]"},
		{"extra key", "POST", base, map[string]any{"block_document_id": doc, "extra": 1}, 422, "extra fields not permitted", "[body extra]"},
		{"no block document id", "POST", base, map[string]any{"state_names": []string{"Failed"}}, 409,
			"Data integrity conflict. This usually means a unique or foreign key constraint was violated. See server logs for details.", ""},
		{"null block document id", "POST", base, map[string]any{"block_document_id": nil}, 422, "none is not an allowed value", "[body block_document_id]"},
		{"block document missing", "POST", base, map[string]any{"block_document_id": missing}, 409,
			"Data integrity conflict. This usually means a unique or foreign key constraint was violated. See server logs for details.", ""},
		{"patch", "PATCH", base + id, map[string]any{"is_active": false, "tags": []string{"a"}}, 204, "", ""},
		{"patch nothing", "PATCH", base + id, map[string]any{}, 204, "", ""},
		{"patch bad template", "PATCH", base + id, map[string]any{"message_template": "{bad}"}, 422,
			"Invalid template variable provided: 'bad'", "[body message_template]"},
		{"patch missing block document", "PATCH", base + id, map[string]any{"block_document_id": missing}, 409,
			"Data integrity conflict. This usually means a unique or foreign key constraint was violated. See server logs for details.", ""},
		{"patch missing", "PATCH", base + missing, map[string]any{"is_active": true}, 404, "Flow run notification policy not found", ""},
		{"patch bad id", "PATCH", base + "nope", map[string]any{}, 422, "value is not a valid uuid", "[path id]"},
		{"delete missing", "DELETE", base + missing, nil, 404, "flow run notification policy not found", ""},
		{"filter bad eq_", "POST", base + "filter", map[string]any{"flow_run_notification_policy_filter": map[string]any{"is_active": map[string]any{"eq_": "x"}}},
			422, "value could not be parsed to a boolean", "[body flow_run_notification_policy_filter is_active eq_]"},
		{"notifications bad status", "POST", "/api/flow_run_notifications/filter",
			map[string]any{"flow_run_notifications": map[string]any{"status": map[string]any{"any_": []string{"lost"}}}},
			422, "value is not a valid enumeration member; permitted: 'pending', 'delivered', 'failed'", "[body flow_run_notifications status any_ 0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := b.do(tt.method, tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			if tt.wantDetail == "" {
				return
			}
			if d := field(out, "detail"); d != nil {
				if d != tt.wantDetail {
					t.Fatalf("detail %q, want %q", d, tt.wantDetail)
				}
				return
			}
			items, _ := field(out, "exception_detail").([]any)
			if len(items) == 0 || field(items[0], "msg") != tt.wantDetail || fmt.Sprint(field(items[0], "loc")) != tt.wantLoc {
				t.Fatalf("exception_detail %v, want msg %q at %s", items, tt.wantDetail, tt.wantLoc)
			}
		})
	}

	got := b.must(200, "GET", base+id, nil)
	if got["is_active"] != false || fmt.Sprint(got["tags"]) != "[a]" || got["updated"] == p["updated"] && got["updated"] == nil {
		t.Fatalf("after patches: %v", got)
	}
	// message_template null restores the default template; a valid one sets it.
	b.must(204, "PATCH", base+q["id"].(string), map[string]any{"message_template": nil})
	if got := b.must(200, "GET", base+q["id"].(string), nil); got["message_template"] != nil {
		t.Fatalf("template not cleared: %v", got)
	}

	// Filter: no filter object lists all; a filter object without is_active
	// lists inactive ones (2.7.12's default); null is_active lists all.
	b.must(201, "POST", base, map[string]any{"block_document_id": doc, "state_names": []string{"Crashed"}})
	filters := []struct {
		name string
		body any
		want int
	}{
		{"no body", nil, 3},
		{"no filter", map[string]any{}, 3},
		{"filter without is_active", map[string]any{"flow_run_notification_policy_filter": map[string]any{}}, 2},
		{"null is_active", map[string]any{"flow_run_notification_policy_filter": map[string]any{"is_active": nil}}, 3},
		{"null eq_", map[string]any{"flow_run_notification_policy_filter": map[string]any{"is_active": map[string]any{"eq_": nil}}}, 3},
		{"active", map[string]any{"flow_run_notification_policy_filter": map[string]any{"is_active": map[string]any{"eq_": true}}}, 1},
		{"inactive", map[string]any{"flow_run_notification_policy_filter": map[string]any{"is_active": map[string]any{"eq_": false}}}, 2},
		{"page", map[string]any{"limit": 1, "offset": 1}, 1},
	}
	for _, tt := range filters {
		t.Run("filter "+tt.name, func(t *testing.T) {
			status, out := b.do("POST", base+"filter", tt.body)
			list, _ := out.([]any)
			if status != 200 || len(list) != tt.want {
				t.Fatalf("status %d, %d policies, want %d: %v", status, len(list), tt.want, out)
			}
		})
	}

	b.must(204, "DELETE", base+id, nil)
	b.must(404, "GET", base+id, nil)
}

// TestFailedRunQueuesNotification: a run entering a state a policy names
// queues one notification, visible through /flow_run_notifications/filter.
func TestFailedRunQueuesNotification(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := b.notifyBlock()
	p := b.must(201, "POST", "/api/flow_run_notification_policies/", map[string]any{"block_document_id": doc, "state_names": []string{"Failed"}, "tags": []string{}})
	ok := b.newRun("RUNNING", nil)
	bad := b.newRun("RUNNING", nil)
	if s, out := b.setState("flow_runs", ok["id"].(string), map[string]any{"type": "COMPLETED"}, false); s != 201 {
		t.Fatalf("complete: %d %v", s, out)
	}
	if s, out := b.setState("flow_runs", bad["id"].(string), map[string]any{"type": "FAILED", "message": "boom"}, false); s != 201 {
		t.Fatalf("fail: %d %v", s, out)
	}
	status, out := b.do("POST", "/api/flow_run_notifications/filter", map[string]any{})
	list, _ := out.([]any)
	if status != 200 || len(list) != 1 {
		t.Fatalf("status %d, notifications %v", status, out)
	}
	n := list[0]
	if field(n, "flow_run_id") != bad["id"] || field(n, "flow_run_notification_policy_id") != p["id"] || field(n, "status") != "pending" ||
		field(n, "flow_run_state_name") != "Failed" || field(n, "flow_run_state_message") != "boom" || field(n, "attempts") != 0.0 {
		t.Fatalf("notification %v", n)
	}
	if _, leaked := n.(map[string]any)["lease_until"]; leaked {
		t.Fatalf("the lease is internal: %v", n)
	}
	for _, tt := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"by run", map[string]any{"flow_run_notifications": map[string]any{"flow_run_id": map[string]any{"any_": []any{ok["id"]}}}}, 0},
		{"by policy", map[string]any{"flow_run_notifications": map[string]any{"flow_run_notification_policy_id": map[string]any{"any_": []any{p["id"]}}}}, 1},
		{"delivered", map[string]any{"flow_run_notifications": map[string]any{"status": map[string]any{"any_": []string{"delivered"}}}}, 0},
		{"empty any_", map[string]any{"flow_run_notifications": map[string]any{"status": map[string]any{"any_": []string{}}}}, 0},
	} {
		_, out := b.do("POST", "/api/flow_run_notifications/filter", tt.body)
		if list, _ := out.([]any); len(list) != tt.want {
			t.Errorf("%s: %d notifications, want %d", tt.name, len(list), tt.want)
		}
	}
}

// TestNotificationRouteScopes: with API keys on, reading policies and the
// queue takes a read key, changing policies a write key.
func TestNotificationRouteScopes(t *testing.T) {
	t.Parallel()
	b := setupAuth(t)
	admin := b.keys[core.ScopeAdmin]
	_, docOut := b.as(admin, "POST", "/api/block_types/", map[string]any{"name": "Hook", "slug": "hook"})
	_, sc := b.as(admin, "POST", "/api/block_schemas/", map[string]any{"block_type_id": field(docOut, "id"), "capabilities": []string{"notify"},
		"fields": map[string]any{"title": "Hook", "type": "object", "properties": map[string]any{}}})
	_, doc := b.as(admin, "POST", "/api/block_documents/", map[string]any{"name": "hook", "data": map[string]any{},
		"block_schema_id": field(sc, "id"), "block_type_id": field(docOut, "id")})
	base := "/api/flow_run_notification_policies/"
	tests := []struct {
		name         string
		method, path string
		body         any
		ok           int
		need         core.Scope
	}{
		{"filter reads", "POST", base + "filter", map[string]any{}, 200, core.ScopeRead},
		{"queue filter reads", "POST", "/api/flow_run_notifications/filter", map[string]any{}, 200, core.ScopeRead},
		{"get reads", "GET", base + uuid.NewString(), nil, 404, core.ScopeRead},
		{"create writes", "POST", base, map[string]any{"block_document_id": field(doc, "id")}, 201, core.ScopeWrite},
		{"patch writes", "PATCH", base + uuid.NewString(), map[string]any{}, 404, core.ScopeWrite},
		{"delete writes", "DELETE", base + uuid.NewString(), nil, 404, core.ScopeWrite},
	}
	for _, tt := range tests {
		for _, sc := range core.Scopes() {
			want := tt.ok
			if !sc.Includes(tt.need) {
				want = 403
			}
			if got, out := b.as(b.keys[sc], tt.method, tt.path, tt.body); got != want {
				t.Errorf("%s as %s: %d, want %d: %v", tt.name, sc, got, want, out)
			}
		}
		if got, _ := b.as("", tt.method, tt.path, tt.body); got != 401 {
			t.Errorf("%s without a key: %d, want 401", tt.name, got)
		}
	}
}
