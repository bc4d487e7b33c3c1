package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

func newKey(t *testing.T, s store.Store, id string, scope core.Scope, created time.Time) *core.APIKey {
	t.Helper()
	k := &core.APIKey{ID: id, Name: "key " + id, Scope: scope, Hash: []byte("hash-of-" + id),
		Created: core.T(created), CreatedBy: "test"}
	must(t, s.CreateAPIKey(ctx, k))
	return k
}

func keyIDs(ks []*core.APIKey) []string {
	ids := make([]string, len(ks))
	for i, k := range ks {
		ids[i] = k.ID
	}
	return ids
}

func testAPIKeys(t *testing.T, s store.Store) {
	exp := core.T(t0.Add(90 * 24 * time.Hour))
	a := newKey(t, s, "aaaa1111", core.ScopeAdmin, t0)
	b := &core.APIKey{ID: "bbbb2222", Name: "ci", Scope: core.ScopeWrite, Hash: []byte{0, 1, 2, 255},
		Created: core.T(t0.Add(time.Second)), Expires: &exp, CreatedBy: a.ID}
	must(t, s.CreateAPIKey(ctx, b))
	newKey(t, s, "cccc3333", core.ScopeRead, t0.Add(2*time.Second))

	wantCode(t, s.CreateAPIKey(ctx, &core.APIKey{ID: b.ID, Name: "dup", Scope: core.ScopeRead, Created: core.T(t0)}), core.EConflict)
	_, err := s.GetAPIKey(ctx, "nope")
	wantCode(t, err, core.ENotFound)

	got, err := s.GetAPIKey(ctx, b.ID)
	must(t, err)
	if got.Name != "ci" || got.Scope != core.ScopeWrite || string(got.Hash) != string(b.Hash) || got.CreatedBy != a.ID ||
		got.Expires == nil || !got.Expires.Equal(exp.Time) || !got.Created.Equal(b.Created.Time) || got.Revoked != nil || got.LastUsed != nil {
		t.Fatalf("GetAPIKey = %+v, want %+v", got, b)
	}

	// Last use only moves forward.
	used := t0.Add(time.Hour)
	must(t, s.TouchAPIKey(ctx, &store.TouchAPIKeyParams{ID: b.ID, At: used}))
	must(t, s.TouchAPIKey(ctx, &store.TouchAPIKeyParams{ID: b.ID, At: used.Add(-time.Minute)}))
	got, err = s.GetAPIKey(ctx, b.ID)
	must(t, err)
	if got.LastUsed == nil || !got.LastUsed.Equal(used) {
		t.Fatalf("last_used = %v, want %v", got.LastUsed, used)
	}
	wantCode(t, s.TouchAPIKey(ctx, &store.TouchAPIKeyParams{ID: "nope", At: used}), core.ENotFound)

	// Revocation keeps the first time and hides the key from the default list.
	rev, err := s.RevokeAPIKey(ctx, &store.RevokeAPIKeyParams{ID: b.ID, At: t0.Add(2 * time.Hour)})
	must(t, err)
	if rev.Revoked == nil || !rev.Revoked.Equal(t0.Add(2*time.Hour)) || rev.LastUsed == nil {
		t.Fatalf("revoked key = %+v", rev)
	}
	rev, err = s.RevokeAPIKey(ctx, &store.RevokeAPIKeyParams{ID: b.ID, At: t0.Add(3 * time.Hour)})
	must(t, err)
	if !rev.Revoked.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("a second revoke moved the time to %v", rev.Revoked)
	}
	_, err = s.RevokeAPIKey(ctx, &store.RevokeAPIKeyParams{ID: "nope", At: t0})
	wantCode(t, err, core.ENotFound)

	tests := []struct {
		name string
		q    store.APIKeyQuery
		want []string
	}{
		{"active", store.APIKeyQuery{}, []string{"aaaa1111", "cccc3333"}},
		{"all by creation", store.APIKeyQuery{IncludeRevoked: true}, []string{"aaaa1111", "bbbb2222", "cccc3333"}},
		{"paged", store.APIKeyQuery{IncludeRevoked: true, Page: store.Page{Limit: 1, Offset: 1}}, []string{"bbbb2222"}},
		{"past the end", store.APIKeyQuery{Page: store.Page{Limit: 5, Offset: 5}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks, err := s.ListAPIKeys(ctx, &tt.q)
			must(t, err)
			if got := keyIDs(ks); !slices.Equal(got, tt.want) {
				t.Fatalf("ListAPIKeys = %v, want %v", got, tt.want)
			}
		})
	}
}

// testConcurrentAPIKeyWrites races touches against a revoke: the revoke is
// never lost, and the newest touch wins.
func testConcurrentAPIKeyWrites(t *testing.T, s store.Store) {
	k := newKey(t, s, "race0001", core.ScopeWrite, t0)
	var wg sync.WaitGroup
	for i := 1; i <= 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			must(t, s.TouchAPIKey(ctx, &store.TouchAPIKeyParams{ID: k.ID, At: t0.Add(time.Duration(i) * time.Minute)}))
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := s.RevokeAPIKey(ctx, &store.RevokeAPIKeyParams{ID: k.ID, At: t0.Add(time.Hour)})
		must(t, err)
	}()
	wg.Wait()
	got, err := s.GetAPIKey(ctx, k.ID)
	must(t, err)
	if got.Revoked == nil || got.LastUsed == nil || !got.LastUsed.Equal(t0.Add(8*time.Minute)) {
		t.Fatalf("after racing writes: revoked %v, last_used %v", got.Revoked, got.LastUsed)
	}
}

func testAuditLog(t *testing.T, s store.Store) {
	var want []uuid.UUID
	for i := range 5 {
		r := &core.AuditRecord{ID: uuid.Must(uuid.NewV7()), Timestamp: core.T(t0.Add(time.Duration(i) * time.Second)),
			KeyID: "aaaa1111", KeyName: "admin", Method: "POST", Path: fmt.Sprintf("/api/api_keys/%d", i), Status: 201}
		must(t, s.CreateAuditRecord(ctx, r))
		want = append([]uuid.UUID{r.ID}, want...) // newest first
	}
	// Same timestamp: the larger id is newer.
	tie := &core.AuditRecord{ID: uuid.Must(uuid.NewV7()), Timestamp: core.T(t0.Add(4 * time.Second)), KeyID: "x", KeyName: "x", Method: "DELETE", Path: "/api/api_keys/x", Status: 204}
	must(t, s.CreateAuditRecord(ctx, tie))
	want = append([]uuid.UUID{tie.ID}, want...)
	wantCode(t, s.CreateAuditRecord(ctx, tie), core.EConflict)

	tests := []struct {
		name string
		page store.Page
		want []uuid.UUID
	}{
		{"all newest first", store.Page{}, want},
		{"first page", store.Page{Limit: 2}, want[:2]},
		{"second page", store.Page{Limit: 2, Offset: 2}, want[2:4]},
		{"past the end", store.Page{Limit: 2, Offset: 10}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := s.ListAuditRecords(ctx, &store.AuditQuery{Page: tt.page})
			must(t, err)
			var got []uuid.UUID
			for _, r := range rs {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("ListAuditRecords = %v, want %v", got, tt.want)
			}
		})
	}
	rs, err := s.ListAuditRecords(ctx, &store.AuditQuery{Page: store.Page{Limit: 1, Offset: 1}})
	must(t, err)
	if r := rs[0]; r.KeyID != "aaaa1111" || r.KeyName != "admin" || r.Method != "POST" || r.Path != "/api/api_keys/4" || r.Status != 201 || !r.Timestamp.Equal(t0.Add(4*time.Second)) {
		t.Fatalf("record = %+v", r)
	}
}

func testResetKeepsKeys(t *testing.T, s store.Store) {
	k := newKey(t, s, "keep0001", core.ScopeAdmin, t0)
	must(t, s.CreateAuditRecord(ctx, &core.AuditRecord{ID: uuid.Must(uuid.NewV7()), Timestamp: core.T(t0), KeyID: k.ID, KeyName: k.Name,
		Method: "POST", Path: "/api/admin/database/clear", Status: 200}))
	f := newFlow(t, s, "gone")
	must(t, s.Reset(ctx))
	if _, err := s.GetFlow(ctx, f.ID); !core.IsNotFound(err) {
		t.Fatalf("flow after reset: %v", err)
	}
	if _, err := s.GetAPIKey(ctx, k.ID); err != nil {
		t.Fatalf("API key after reset: %v", err)
	}
	rs, err := s.ListAuditRecords(ctx, &store.AuditQuery{})
	must(t, err)
	if len(rs) != 1 {
		t.Fatalf("audit records after reset: %d, want 1", len(rs))
	}
	// Reset twice re-applies the schema over the kept tables.
	must(t, s.Reset(ctx))
	newKey(t, s, "keep0002", core.ScopeRead, t0)
}
