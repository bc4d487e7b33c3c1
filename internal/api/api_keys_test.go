package api_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type authBundle struct {
	*testBundle
	clock *testClock
	keys  map[core.Scope]string // scope -> key
	ids   map[core.Scope]string // scope -> key id
}

// setupAuth is setup with API keys checked and one key per scope.
func setupAuth(t *testing.T) *authBundle {
	t.Helper()
	clk := &testClock{t: time.Now().UTC()}
	b := setup(t, func(c *api.Config) {
		c.Now = clk.Now
		c.Auth = auth.New(auth.Config{Store: c.Store, Now: clk.Now})
	})
	ab := &authBundle{testBundle: b, clock: clk, keys: map[core.Scope]string{}, ids: map[core.Scope]string{}}
	for _, sc := range core.Scopes() {
		key, k, err := auth.Create(context.Background(), b.store, auth.CreateParams{Name: string(sc) + "-key", Scope: sc, CreatedBy: "test"}, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		ab.keys[sc], ab.ids[sc] = key, k.ID
	}
	return ab
}

// as sends a request with the key (none when "").
func (b *authBundle) as(key, method, path string, body any) (int, any) {
	b.t.Helper()
	if key == "" {
		return b.do(method, path, body)
	}
	return b.do(method, path, body, "Authorization", "Bearer "+key)
}

func TestAuthScopes(t *testing.T) {
	t.Parallel()
	b := setupAuth(t)
	const (
		none = "none"
		bad  = "bad"
	)
	callers := []string{none, bad, string(core.ScopeRead), string(core.ScopeWrite), string(core.ScopeAdmin)}
	keyOf := func(c string) string {
		switch c {
		case none:
			return ""
		case bad:
			return "orr_0123456789abcdef_" + strings.Repeat("x", 43)
		}
		return b.keys[core.Scope(c)]
	}
	tests := []struct {
		name         string
		method, path string
		body         any
		ok           int
		need         string // lowest caller that gets ok ("" = open)
	}{
		{"health is open", http.MethodGet, "/api/health", nil, 200, ""},
		{"openapi is open", http.MethodGet, "/api/openapi.json", nil, 200, ""},
		{"ui is open", http.MethodGet, "/", nil, 200, ""},
		{"GET reads", http.MethodGet, "/api/flows/name/nope", nil, 404, "read"},
		{"filter reads", http.MethodPost, "/api/flows/filter", map[string]any{}, 200, "read"},
		{"count reads", http.MethodPost, "/api/flow_runs/count", map[string]any{}, 200, "read"},
		{"history reads", http.MethodPost, "/api/flow_runs/history", map[string]any{"history_start": "2026-01-01T00:00:00Z", "history_end": "2026-01-02T00:00:00Z", "history_interval_seconds": 3600}, 200, "read"},
		{"admin version reads", http.MethodGet, "/api/admin/version", nil, 200, "read"},
		{"create writes", http.MethodPost, "/api/flows/", map[string]any{"name": "f"}, 200, "write"},
		{"delete writes", http.MethodDelete, "/api/flows/" + uuid.NewString(), nil, 404, "write"},
		{"block secrets filter needs write", http.MethodPost, "/api/block_documents/filter", map[string]any{"include_secrets": true}, 200, "write"},
		{"block filter without secrets reads", http.MethodPost, "/api/block_documents/filter", map[string]any{"include_secrets": false}, 200, "read"},
		{"block secrets by type slug needs write", http.MethodGet, "/api/block_types/slug/nope/block_documents?include_secrets=true", nil, 404, "write"},
		{"settings is admin", http.MethodGet, "/api/admin/settings", nil, 200, "admin"},
		{"key list is admin", http.MethodPost, "/api/api_keys/filter", map[string]any{}, 200, "admin"},
		{"audit is admin", http.MethodPost, "/api/admin/audit/filter", map[string]any{}, 200, "admin"},
		{"database clear is admin", http.MethodPost, "/api/admin/database/clear", map[string]any{"confirm": true}, 204, "admin"},
	}
	rank := map[string]int{"read": 1, "write": 2, "admin": 3}
	for _, tt := range tests {
		for _, c := range callers {
			want := tt.ok
			switch {
			case tt.need == "":
			case c == none || c == bad:
				want = http.StatusUnauthorized
			case rank[c] < rank[tt.need]:
				want = http.StatusForbidden
			}
			// "block secrets by type slug" reads the type before checking
			// the scope: a missing type is a 404 for every key.
			if tt.ok == 404 && want == http.StatusForbidden && strings.Contains(tt.path, "block_types") {
				want = 404
			}
			got, out := b.as(keyOf(c), tt.method, tt.path, tt.body)
			if want/100 == 2 && got/100 == 2 {
				got = want // created (201) or found (200): both allowed
			}
			if got != want {
				t.Errorf("%s as %s: status %d, want %d: %v", tt.name, c, got, want, out)
				continue
			}
			if want == http.StatusUnauthorized || want == http.StatusForbidden {
				if d, _ := field(out, "detail").(string); d == "" {
					t.Errorf("%s as %s: body %v has no detail", tt.name, c, out)
				}
			}
		}
	}
}

func TestUnauthorizedHeader(t *testing.T) {
	t.Parallel()
	b := setupAuth(t)
	for _, key := range []string{"", "nonsense", b.keys[core.ScopeRead]} {
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/api/flows/", strings.NewReader(`{"name":"x"}`))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantHeader := resp.StatusCode == http.StatusUnauthorized
		if got := resp.Header.Get("WWW-Authenticate"); (got == "Bearer") != wantHeader {
			t.Errorf("key %q: status %d, WWW-Authenticate %q", key, resp.StatusCode, got)
		}
	}
}

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	b := setupAuth(t)
	admin := b.keys[core.ScopeAdmin]

	got, out := b.as(admin, http.MethodPost, "/api/api_keys/", map[string]any{"name": "ci", "scope": "write", "expires_in": "1h"})
	if got != http.StatusCreated {
		t.Fatalf("create: %d %v", got, out)
	}
	key, _ := field(out, "key").(string)
	id, _ := field(out, "id").(string)
	if !strings.HasPrefix(key, "orr_"+id+"_") || field(out, "created_by") != b.ids[core.ScopeAdmin] || field(out, "expires") == nil {
		t.Fatalf("create answer %v", out)
	}
	for _, body := range []map[string]any{{"name": "x", "scope": "root"}, {"scope": "read"}, {"name": "x", "scope": "read", "expires_in": "-1d"}, {"name": "x", "scope": "read", "extra": 1}} {
		if got, out := b.as(admin, http.MethodPost, "/api/api_keys/", body); got != http.StatusUnprocessableEntity {
			t.Errorf("create %v: %d %v, want 422", body, got, out)
		}
	}

	// The new key works, and the list never shows a key or hash.
	if got, _ := b.as(key, http.MethodPost, "/api/flows/", map[string]any{"name": "f"}); got/100 != 2 {
		t.Fatalf("new key: %d", got)
	}
	_, list := b.as(admin, http.MethodPost, "/api/api_keys/filter", map[string]any{})
	keys, _ := list.([]any)
	if len(keys) != 4 {
		t.Fatalf("list: %v", list)
	}
	for _, k := range keys {
		m := k.(map[string]any)
		if _, ok := m["hash"]; ok {
			t.Fatal("the list shows hashes")
		}
		if _, ok := m["key"]; ok {
			t.Fatal("the list shows keys")
		}
	}

	// Expiry: checked on every request, cached or not.
	b.clock.Add(time.Hour)
	if got, out := b.as(key, http.MethodPost, "/api/flows/filter", map[string]any{}); got != 401 || !strings.Contains(field(out, "detail").(string), "expired") {
		t.Fatalf("expired key: %d %v", got, out)
	}

	// Revocation through the API applies at once, though the key is cached.
	got, out = b.as(admin, http.MethodPost, "/api/api_keys/", map[string]any{"name": "tmp", "scope": "read"})
	if got != 201 {
		t.Fatal(got, out)
	}
	tmp, tmpID := field(out, "key").(string), field(out, "id").(string)
	if got, _ := b.as(tmp, http.MethodGet, "/api/admin/version", nil); got != 200 {
		t.Fatalf("tmp key: %d", got)
	}
	if got, out := b.as(admin, http.MethodDelete, "/api/api_keys/"+tmpID, nil); got != 200 || field(out, "revoked") == nil {
		t.Fatalf("revoke: %d %v", got, out)
	}
	if got, out := b.as(tmp, http.MethodGet, "/api/admin/version", nil); got != 401 || !strings.Contains(field(out, "detail").(string), "revoked") {
		t.Fatalf("revoked key: %d %v", got, out)
	}
	if got, _ := b.as(admin, http.MethodDelete, "/api/api_keys/nope", nil); got != 404 {
		t.Fatalf("revoke unknown: %d", got)
	}
	_, list = b.as(admin, http.MethodPost, "/api/api_keys/filter", map[string]any{"include_revoked": true})
	if keys, _ := list.([]any); len(keys) != 5 {
		t.Fatalf("list with revoked: %v", list)
	}
}

// Every admin action is audited with who, what and when; reads of the
// audit log itself are not.
func TestAuditRecords(t *testing.T) {
	t.Parallel()
	b := setupAuth(t)
	admin, write := b.keys[core.ScopeAdmin], b.keys[core.ScopeWrite]
	steps := []struct {
		key          string
		method, path string
		body         any
	}{
		{admin, http.MethodPost, "/api/api_keys/", map[string]any{"name": "x", "scope": "read"}},
		{write, http.MethodPost, "/api/admin/database/clear", map[string]any{"confirm": true}},           // denied, still audited
		{admin, http.MethodPost, "/api/block_documents/filter", map[string]any{"include_secrets": true}}, // write scope: not audited
		{admin, http.MethodPost, "/api/admin/database/clear", map[string]any{"confirm": true}},
		{admin, http.MethodPost, "/api/flows/filter", map[string]any{}}, // not an admin action
		{admin, http.MethodPost, "/api/admin/audit/filter", map[string]any{}},
	}
	for _, s := range steps {
		b.as(s.key, s.method, s.path, s.body)
	}
	_, out := b.as(admin, http.MethodPost, "/api/admin/audit/filter", map[string]any{"limit": 10})
	recs, _ := out.([]any)
	want := []struct {
		keyName, method, path string
		status                float64
	}{
		{"admin-key", "POST", "/api/admin/database/clear", 204},
		{"write-key", "POST", "/api/admin/database/clear", 403},
		{"admin-key", "POST", "/api/api_keys/", 201},
	}
	if len(recs) != len(want) {
		t.Fatalf("audit records: %v", out)
	}
	for i, w := range want {
		r := recs[i].(map[string]any)
		if r["key_name"] != w.keyName || r["method"] != w.method || r["path"] != w.path || r["status"] != w.status || r["timestamp"] == nil || r["key_id"] == "" {
			t.Errorf("record %d = %v, want %+v", i, r, w)
		}
	}
	// The keys survive the database clear, so the admin is not locked out.
	if got, _ := b.as(admin, http.MethodPost, "/api/admin/audit/filter", map[string]any{"limit": 1, "offset": 1}); got != 200 {
		t.Fatalf("admin after clear: %d", got)
	}
	ks, err := b.store.ListAPIKeys(context.Background(), &store.APIKeyQuery{})
	if err != nil || len(ks) != 4 {
		t.Fatalf("keys after clear: %d, %v", len(ks), err)
	}
}

// With Auth nil nothing is checked (the local default).
func TestAuthOff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if got, _ := b.do(http.MethodPost, "/api/admin/database/clear", map[string]any{"confirm": true}); got != 204 {
		t.Fatalf("clear without auth: %d", got)
	}
	if got, _ := b.do(http.MethodPost, "/api/block_documents/filter", map[string]any{"include_secrets": true}); got != 200 {
		t.Fatalf("secrets without auth: %d", got)
	}
}

func TestOpenAPISecurity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := b.must(200, http.MethodGet, "/api/openapi.json", nil)
	if field(doc, "components", "securitySchemes", "bearerAuth", "scheme") != "bearer" {
		t.Fatalf("no bearer scheme: %v", field(doc, "components", "securitySchemes"))
	}
	if sec, _ := doc["security"].([]any); len(sec) != 1 {
		t.Fatalf("global security = %v", doc["security"])
	}
	if sec, ok := field(doc, "paths", "/api/health", "get", "security").([]any); !ok || len(sec) != 0 {
		t.Fatalf("health security = %v, want []", field(doc, "paths", "/api/health", "get", "security"))
	}
	if field(doc, "paths", "/api/admin/database/clear", "post", "x-orrery-scope") != "admin" ||
		field(doc, "paths", "/api/flows/filter", "post", "x-orrery-scope") != "read" ||
		field(doc, "paths", "/api/api_keys/", "post", "responses", "401") == nil {
		t.Fatal("route scopes or 401 responses missing from the document")
	}
}

// SecretsScope admin: block secrets need an admin key and their reads
// (and refused attempts) are audited.
func TestSecretsScopeAdmin(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *api.Config) {
		c.Auth = auth.New(auth.Config{Store: c.Store})
		c.SecretsScope = core.ScopeAdmin
	})
	ctx := context.Background()
	keys := map[core.Scope]string{}
	for _, sc := range core.Scopes() {
		key, _, err := auth.Create(ctx, b.store, auth.CreateParams{Name: string(sc), Scope: sc}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		keys[sc] = key
	}
	for sc, want := range map[core.Scope]int{core.ScopeRead: 403, core.ScopeWrite: 403, core.ScopeAdmin: 200} {
		if got, out := b.do(http.MethodPost, "/api/block_documents/filter", map[string]any{"include_secrets": true}, "Authorization", "Bearer "+keys[sc]); got != want {
			t.Errorf("%s: %d %v, want %d", sc, got, out, want)
		}
	}
	// Denied attempts are audited too.
	recs, err := b.store.ListAuditRecords(ctx, &store.AuditQuery{})
	if err != nil || len(recs) != 3 {
		t.Fatalf("audit records: %v %+v", err, recs)
	}
	for _, r := range recs {
		if (r.Status == 200) != (r.KeyName == "admin") || r.Path != "/api/block_documents/filter" {
			t.Errorf("audit record %+v", r)
		}
	}
}

// Unclean paths cannot reach an admin route with a lower scope: the mux
// redirects them instead of serving them.
func TestAuthPathTricks(t *testing.T) {
	t.Parallel()
	b := setupAuth(t)
	write := b.keys[core.ScopeWrite]
	if got, _ := b.as(write, http.MethodPost, "/api/flows/", map[string]any{"name": "survivor"}); got/100 != 2 {
		t.Fatal(got)
	}
	for _, p := range []string{"/api//admin/database/clear", "/api/flows/../admin/database/clear", "/api/./admin/database/clear", "/api/admin/database/clear/"} {
		got, out := b.as(write, http.MethodPost, p, map[string]any{"confirm": true})
		if got/100 == 2 {
			t.Errorf("%s with a write key: %d %v", p, got, out)
		}
	}
	if _, err := b.store.GetFlowByName(context.Background(), "survivor"); err != nil {
		t.Fatalf("the database was cleared: %v", err)
	}
}
