package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

// run runs the orrery command with args and returns its output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("orrery %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestAPIKeyLocal creates, lists and revokes keys on a SQLite file, the way
// the first key of a deployment is made.
func TestAPIKeyLocal(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ORRERY_HOME", dir)
	t.Setenv("PREFECT_API_URL", "http://127.0.0.1:1/api") // ORRERY_DATABASE_URL wins
	db := "sqlite:///" + filepath.Join(dir, "keys.db")
	t.Setenv("ORRERY_DATABASE_URL", db)

	var created apiKeyCreated
	out := mustRun(t, "api-key", "create", "--name", "ci", "--scope", "write", "--expires", "90d", "--output", "json")
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("create --output json: %v\n%s", err, out)
	}
	if id, ok := auth.ParseID(created.Key); !ok || id != created.ID || created.Scope != core.ScopeWrite || created.Name != "ci" ||
		created.Expires == nil || created.Expires.Sub(time.Now()) < 89*24*time.Hour {
		t.Fatalf("created %+v", created)
	}
	out = mustRun(t, "api-key", "create", "--name", "admin", "--scope", "admin")
	if !strings.Contains(out, "orr_") || !strings.Contains(out, "shown only now") {
		t.Fatalf("create (table) output:\n%s", out)
	}

	// The key is stored as a hash and works against the database.
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(auth.Config{Store: st})
	if k, err := a.Authenticate(context.Background(), created.Key); err != nil || k.ID != created.ID {
		t.Fatalf("authenticating the created key: %v", err)
	}
	st.Close()

	out = mustRun(t, "api-key", "ls")
	if !strings.Contains(out, created.ID) || !strings.Contains(out, "admin") || strings.Contains(out, created.Key) {
		t.Fatalf("ls:\n%s", out)
	}
	out = mustRun(t, "api-key", "revoke", created.ID)
	if !strings.Contains(out, "Revoked API key "+created.ID) {
		t.Fatalf("revoke:\n%s", out)
	}
	var listed []auth.View
	if err := json.Unmarshal([]byte(mustRun(t, "api-key", "ls", "-o", "json")), &listed); err != nil || len(listed) != 1 {
		t.Fatalf("ls after revoke: %v %+v", err, listed)
	}
	if err := json.Unmarshal([]byte(mustRun(t, "api-key", "ls", "--all", "-o", "json")), &listed); err != nil || len(listed) != 2 || listed[0].Revoked == nil {
		t.Fatalf("ls --all: %v %+v", err, listed)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"api-key", "create", "--name", "x", "--scope", "root"}, "--scope"},
		{[]string{"api-key", "create", "--name", "x", "--scope", "read", "--expires", "soon"}, "--expires"},
		{[]string{"api-key", "create", "--scope", "read"}, "name"},
		{[]string{"api-key", "revoke", "nope"}, "not found"},
		{[]string{"api-key", "ls", "--api", "http://x", "--database-url", db}, "not both"},
	} {
		if out, err := run(t, tt.args...); err == nil || !strings.Contains(err.Error()+out, tt.want) {
			t.Errorf("orrery %v: err %v, want it to mention %q", tt.args, err, tt.want)
		}
	}
}

// TestAPIKeyThroughAPI runs the same commands against a server with an
// admin key (the deployed-stack mode).
func TestAPIKeyThroughAPI(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ORRERY_HOME", dir)
	t.Setenv("ORRERY_DATABASE_URL", "")
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(api.New(api.Config{Store: st, Auth: auth.New(auth.Config{Store: st})}))
	defer srv.Close()
	admin, _, err := auth.Create(context.Background(), st, auth.CreateParams{Name: "admin", Scope: core.ScopeAdmin, CreatedBy: "test"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PREFECT_API_URL", srv.URL+"/api")
	t.Setenv("PREFECT_API_KEY", admin)

	var created apiKeyCreated
	if err := json.Unmarshal([]byte(mustRun(t, "api-key", "create", "--name", "agent", "--scope", "write", "--expires", "12h", "-o", "json")), &created); err != nil {
		t.Fatal(err)
	}
	if _, ok := auth.ParseID(created.Key); !ok || created.Expires == nil {
		t.Fatalf("created through the API: %+v", created)
	}
	if out := mustRun(t, "api-key", "ls"); !strings.Contains(out, created.ID) || !strings.Contains(out, "agent") {
		t.Fatalf("ls through the API:\n%s", out)
	}
	mustRun(t, "api-key", "revoke", created.ID)
	// The revoked key is refused by the server at once.
	t.Setenv("PREFECT_API_KEY", created.Key)
	if _, err := run(t, "api-key", "ls"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("revoked key: %v", err)
	}
	// A write key may not manage keys.
	w, _, _ := auth.Create(context.Background(), st, auth.CreateParams{Name: "w", Scope: core.ScopeWrite}, time.Now())
	t.Setenv("PREFECT_API_KEY", w)
	if _, err := run(t, "api-key", "create", "--name", "x", "--scope", "admin"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("write key creating a key: %v", err)
	}
}
