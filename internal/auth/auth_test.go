package auth_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// keyStore is an in-memory store.APIKeyStore that counts its calls.
type keyStore struct {
	mu      sync.Mutex
	keys    map[string]*core.APIKey
	gets    int
	touches []time.Time
}

var _ store.APIKeyStore = (*keyStore)(nil)

func newKeyStore() *keyStore { return &keyStore{keys: map[string]*core.APIKey{}} }

func (s *keyStore) CreateAPIKey(_ context.Context, k *core.APIKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *k
	s.keys[k.ID] = &c
	return nil
}

func (s *keyStore) GetAPIKey(_ context.Context, id string) (*core.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	k, ok := s.keys[id]
	if !ok {
		return nil, core.Errorf(core.ENotFound, "API key not found")
	}
	c := *k
	return &c, nil
}

func (s *keyStore) ListAPIKeys(context.Context, *store.APIKeyQuery) ([]*core.APIKey, error) {
	return nil, nil
}

func (s *keyStore) RevokeAPIKey(_ context.Context, p *store.RevokeAPIKeyParams) (*core.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[p.ID]
	if !ok {
		return nil, core.Errorf(core.ENotFound, "API key not found")
	}
	store.ApplyRevoke(k, p.At)
	c := *k
	return &c, nil
}

func (s *keyStore) TouchAPIKey(_ context.Context, p *store.TouchAPIKeyParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.touches = append(s.touches, p.At)
	if k, ok := s.keys[p.ID]; ok {
		store.ApplyTouch(k, p.At)
	}
	return nil
}

func (s *keyStore) CreateAuditRecord(context.Context, *core.AuditRecord) error { return nil }
func (s *keyStore) ListAuditRecords(context.Context, *store.AuditQuery) ([]*core.AuditRecord, error) {
	return nil, nil
}

func (s *keyStore) counts() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets, len(s.touches)
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testBundle struct {
	st    *keyStore
	clock *clock
	a     *auth.Authenticator
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	b := &testBundle{st: newKeyStore(), clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	b.a = auth.New(auth.Config{Store: b.st, Now: b.clock.Now, CacheSize: 8})
	return b
}

func (b *testBundle) create(t *testing.T, scope core.Scope, expires *time.Time) (string, *core.APIKey) {
	t.Helper()
	key, k, err := b.a.Create(context.Background(), auth.CreateParams{Name: "k", Scope: scope, Expires: expires, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return key, k
}

func TestNewKey(t *testing.T) {
	t.Parallel()
	now := time.Now()
	past := now.Add(-time.Hour)
	tests := []struct {
		name    string
		p       auth.CreateParams
		wantErr bool
	}{
		{"ok", auth.CreateParams{Name: "ci", Scope: core.ScopeWrite}, false},
		{"no name", auth.CreateParams{Name: " ", Scope: core.ScopeWrite}, true},
		{"bad scope", auth.CreateParams{Name: "ci", Scope: "root"}, true},
		{"expired already", auth.CreateParams{Name: "ci", Scope: core.ScopeRead, Expires: &past}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, k, err := auth.NewKey(tt.p, now)
			if tt.wantErr {
				if core.ErrorCode(err) != core.EInvalid {
					t.Fatalf("err = %v, want invalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			id, ok := auth.ParseID(key)
			if !ok || id != k.ID || !strings.HasPrefix(key, "orr_"+k.ID+"_") {
				t.Fatalf("key %q does not parse to id %q", key, k.ID)
			}
			if h := auth.Hash(key); string(h[:]) != string(k.Hash) || strings.Contains(string(k.Hash), key) {
				t.Fatal("the record does not hold the key's SHA-256")
			}
			other, _, _ := auth.NewKey(tt.p, now)
			if other == key {
				t.Fatal("two keys are equal")
			}
		})
	}
}

func TestParseID(t *testing.T) {
	t.Parallel()
	good, _, err := auth.NewKey(auth.CreateParams{Name: "x", Scope: core.ScopeRead}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key string
		ok  bool
	}{
		{good, true},
		{"", false},
		{strings.TrimPrefix(good, "orr_"), false},
		{"orr_zzzzzzzzzzzzzzzz_" + strings.Repeat("a", 43), false},
		{"orr_0123456789abcdef_short", false},
		{"orr_0123456789abcdef" + strings.Repeat("a", 44), false},
	}
	for _, tt := range tests {
		if _, ok := auth.ParseID(tt.key); ok != tt.ok {
			t.Errorf("ParseID(%q) ok = %v, want %v", tt.key, ok, tt.ok)
		}
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "": "", "Bearer": ""} {
		if got := auth.BearerToken(in); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	exp := b.clock.Now().Add(time.Hour)
	good, k := b.create(t, core.ScopeWrite, nil)
	expiring, _ := b.create(t, core.ScopeRead, &exp)
	revoked, rk := b.create(t, core.ScopeAdmin, nil)
	if _, err := b.a.Revoke(ctx, rk.ID); err != nil {
		t.Fatal(err)
	}
	wrongSecret := "orr_" + k.ID + "_" + strings.Repeat("A", 43)
	unknown := "orr_0000000000000000_" + strings.Repeat("A", 43)

	tests := []struct {
		name    string
		key     string
		advance time.Duration
		want    string // message of the 401, "" for success
	}{
		{"valid", good, 0, ""},
		{"missing", "", 0, "Not authenticated"},
		{"malformed", "hunter2", 0, "Invalid API key"},
		{"unknown id", unknown, 0, "Invalid API key"},
		{"wrong secret", wrongSecret, 0, "Invalid API key"},
		{"revoked", revoked, 0, "API key revoked"},
		{"not yet expired", expiring, 59 * time.Minute, ""},
		{"expired (cached)", expiring, time.Minute, "API key expired"},
	}
	for _, tt := range tests {
		b.clock.Add(tt.advance)
		got, err := b.a.Authenticate(ctx, tt.key)
		if tt.want == "" {
			if err != nil || got == nil {
				t.Fatalf("%s: err = %v", tt.name, err)
			}
			continue
		}
		if core.ErrorCode(err) != core.EUnauthorized || !strings.Contains(core.ErrorMessage(err), tt.want) {
			t.Fatalf("%s: err = %v, want 401 %q", tt.name, err, tt.want)
		}
	}
}

// A warm authenticator reads the store once per key per TTL, and a bad key
// once per negative TTL.
func TestCacheSavesReads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	key, _ := b.create(t, core.ScopeWrite, nil)
	bad := "orr_0000000000000000_" + strings.Repeat("A", 43)
	for range 100 {
		if _, err := b.a.Authenticate(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := b.a.Authenticate(ctx, bad); err == nil {
			t.Fatal("bad key accepted")
		}
	}
	if gets, _ := b.st.counts(); gets != 2 {
		t.Fatalf("store reads = %d, want 2 (one per key)", gets)
	}
	b.clock.Add(auth.DefaultCacheTTL)
	for range 10 {
		_, _ = b.a.Authenticate(ctx, key)
		_, _ = b.a.Authenticate(ctx, bad)
	}
	if gets, _ := b.st.counts(); gets != 4 {
		t.Fatalf("store reads after the TTL = %d, want 4", gets)
	}
}

// Revoking through this process applies at once; through another process
// (a second Authenticator on the same store) within the cache TTL.
func TestRevocationBound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	key, k := b.create(t, core.ScopeWrite, nil)
	other := auth.New(auth.Config{Store: b.st, Now: b.clock.Now})
	for _, a := range []*auth.Authenticator{b.a, other} {
		if _, err := a.Authenticate(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.a.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.a.Authenticate(ctx, key); core.ErrorCode(err) != core.EUnauthorized {
		t.Fatalf("revoking process still accepts the key: %v", err)
	}
	if _, err := other.Authenticate(ctx, key); err != nil {
		t.Fatalf("other process within the TTL: %v (cached, so still accepted)", err)
	}
	b.clock.Add(auth.DefaultCacheTTL)
	if _, err := other.Authenticate(ctx, key); core.ErrorCode(err) != core.EUnauthorized {
		t.Fatalf("other process after the TTL still accepts the key: %v", err)
	}
}

// last_used is written at most once per TouchEvery per key.
func TestTouchThrottled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	key, _ := b.create(t, core.ScopeWrite, nil)
	steps := []struct {
		advance     time.Duration
		wantTouches int
	}{
		{0, 1},                     // first use
		{time.Second, 1},           // within the minute
		{58 * time.Second, 1},      // 59 s after the first
		{time.Second, 2},           // a minute after the first
		{auth.DefaultCacheTTL, 2},  // re-read from the store (30 s later): its last_used is recent
		{30 * time.Second, 3},      // a minute after the second
		{10 * time.Millisecond, 3}, // right after
		{5 * time.Minute, 4},       // long idle
		{time.Duration(0), 4},      // same instant
		{time.Minute - time.Nanosecond, 4},
	}
	for i, s := range steps {
		b.clock.Add(s.advance)
		if _, err := b.a.Authenticate(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, n := b.st.counts(); n != s.wantTouches {
			t.Fatalf("step %d: %d last_used writes, want %d", i, n, s.wantTouches)
		}
	}
}

// The caches stay bounded under a flood of distinct keys.
func TestCacheBounded(t *testing.T) {
	t.Parallel()
	b := setup(t) // CacheSize 8
	ctx := context.Background()
	var keys []string
	for range 20 {
		k, _ := b.create(t, core.ScopeRead, nil)
		keys = append(keys, k)
	}
	for _, k := range keys {
		if _, err := b.a.Authenticate(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		bad := "orr_" + strings.Repeat("0", 14) + string(rune('a'+i%6)) + string(rune('a'+i/6)) + "_" + strings.Repeat("A", 43)
		_, _ = b.a.Authenticate(ctx, bad)
	}
	pos, neg := b.a.CacheLen()
	if pos > 8 || neg > 8 {
		t.Fatalf("cache sizes %d/%d, want at most 8 each", pos, neg)
	}
	// Evicted keys still work (re-read).
	for _, k := range keys {
		if _, err := b.a.Authenticate(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRequiredScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path string
		want         core.Scope
	}{
		{http.MethodGet, "/api/flows/1", core.ScopeRead},
		{http.MethodHead, "/api/flows/1", core.ScopeRead},
		{http.MethodPost, "/api/flows/filter", core.ScopeRead},
		{http.MethodPost, "/api/flow_runs/count", core.ScopeRead},
		{http.MethodPost, "/api/task_runs/history", core.ScopeRead},
		{http.MethodPost, "/api/ui/flow_runs/history", core.ScopeRead},
		{http.MethodPost, "/api/block_documents/filter", core.ScopeRead},
		{http.MethodGet, "/api/admin/version", core.ScopeRead},
		{http.MethodPost, "/api/flows/", core.ScopeWrite},
		{http.MethodPost, "/api/flow_runs/1/set_state", core.ScopeWrite},
		{http.MethodPost, "/api/work_queues/1/get_runs", core.ScopeWrite},
		{http.MethodPatch, "/api/deployments/1", core.ScopeWrite},
		{http.MethodDelete, "/api/flows/1", core.ScopeWrite},
		{http.MethodPut, "/api/saved_searches/", core.ScopeWrite},
		{http.MethodPost, "/api/admin/database/clear", core.ScopeAdmin},
		{http.MethodGet, "/api/admin/settings", core.ScopeAdmin},
		{http.MethodPost, "/api/admin/audit/filter", core.ScopeAdmin},
		{http.MethodPost, "/api/api_keys/", core.ScopeAdmin},
		{http.MethodPost, "/api/api_keys/filter", core.ScopeAdmin},
		{http.MethodDelete, "/api/api_keys/abc", core.ScopeAdmin},
	}
	for _, tt := range tests {
		if got := auth.RequiredScope(tt.method, tt.path); got != tt.want {
			t.Errorf("RequiredScope(%s %s) = %s, want %s", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path string
		want         bool
	}{
		{http.MethodGet, "/api/health", true},
		{http.MethodGet, "/api/openapi.json", true},
		{http.MethodGet, "/docs", true},
		{http.MethodGet, "/", true},
		{http.MethodGet, "/ui-settings", true},
		{http.MethodPost, "/api/health", false},
		{http.MethodGet, "/api/flows/1", false},
		{http.MethodGet, "/api", false},
		{http.MethodGet, "/api/hello", false},
		{http.MethodPost, "/api/admin/database/clear", false},
	}
	for _, tt := range tests {
		if got := auth.Open(tt.method, tt.path); got != tt.want {
			t.Errorf("Open(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestScopeIncludes(t *testing.T) {
	t.Parallel()
	for _, have := range core.Scopes() {
		for _, need := range core.Scopes() {
			want := map[core.Scope]int{core.ScopeRead: 1, core.ScopeWrite: 2, core.ScopeAdmin: 3}
			if got := have.Includes(need); got != (want[have] >= want[need]) {
				t.Errorf("%s.Includes(%s) = %v", have, need, got)
			}
		}
	}
	if core.Scope("").Includes(core.ScopeRead) || core.Scope("root").Valid() {
		t.Error("unknown scopes must include nothing")
	}
}

// BenchmarkAuthenticateCached is the per-request cost on a warm server.
func BenchmarkAuthenticateCached(b *testing.B) {
	st := newKeyStore()
	a := auth.New(auth.Config{Store: st})
	key, _, err := a.Create(context.Background(), auth.CreateParams{Name: "k", Scope: core.ScopeWrite})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Authenticate(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
	})
}
