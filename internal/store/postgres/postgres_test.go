package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/postgres"
	"github.com/orrery-dev/orrery/internal/store/storetest"
)

// The suite needs a server: scripts/postgres-local.sh starts a throwaway one
// and prints ORRERY_TEST_POSTGRES_URL. Without it the tests skip, unless
// ORRERY_REQUIRE_BACKENDS=1 (set by CI, where a skip would hide a broken
// harness).
func serverURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("ORRERY_TEST_POSTGRES_URL")
	if u == "" {
		if os.Getenv("ORRERY_REQUIRE_BACKENDS") == "1" {
			t.Fatal("ORRERY_TEST_POSTGRES_URL unset")
		}
		t.Skip("ORRERY_TEST_POSTGRES_URL unset (start a server with scripts/postgres-local.sh)")
	}
	return u
}

var (
	adminOnce sync.Once
	admin     *pgxpool.Pool
	adminErr  error
)

// adminPool is one pool, shared by the tests, for creating and dropping the
// per-test schemas.
func adminPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	u := serverURL(t)
	adminOnce.Do(func() { admin, adminErr = pgxpool.New(context.Background(), u) })
	if adminErr != nil {
		t.Fatal(adminErr)
	}
	return admin
}

// withParams returns base with query parameters set.
func withParams(t *testing.T, base string, kv ...string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// freshSchema creates an empty schema, dropped when the test ends, and
// returns a URL whose connections use it. Each conformance subtest gets its
// own: they run in parallel against one database, and a schema is far
// cheaper than a database (no CREATE DATABASE copying template1).
func freshSchema(t *testing.T) (name, url string) {
	t.Helper()
	pool := adminPool(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name = "t_" + hex.EncodeToString(b)
	if _, err := pool.Exec(context.Background(), "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Cleanups run last-registered first, so the store is closed by now.
		if _, err := pool.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	// More connections than the default lets the suite's concurrent
	// transitions and claims really race on the server.
	return name, withParams(t, serverURL(t), "search_path", name, "pool_max_conns", "16")
}

func open(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	serverURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		_, u := freshSchema(t)
		return open(t, u)
	})
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in  string
		bad bool
	}{
		{"postgres://u@localhost:5432/db?sslmode=disable", false},
		{"postgresql://u:secret@localhost/db", false},
		{"POSTGRES://u@localhost/db", true}, // pgx, like libpq, wants the scheme in lower case
		{"postgres://u@localhost/db?search_path=orrery", false},
		{"sqlite:///tmp/a.db", true},
		{"host=localhost user=u dbname=db", true},
		{"", true},
		{"mysql://u@localhost/db", true},
		{"postgres://u@localhost:notaport/db", true},
	}
	for _, tt := range tests {
		cfg, err := postgres.ParseURL(tt.in)
		if (err != nil) != tt.bad {
			t.Errorf("ParseURL(%q): err = %v, want error: %v", tt.in, err, tt.bad)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseURL(%q) error leaks the password: %v", tt.in, err)
			}
			continue
		}
		if cfg.ConnConfig.RuntimeParams["application_name"] != "orrery" || cfg.ConnConfig.ConnectTimeout == 0 {
			t.Errorf("ParseURL(%q): defaults not applied: %+v", tt.in, cfg.ConnConfig.RuntimeParams)
		}
	}
	cfg, err := postgres.ParseURL("postgres://u@localhost/db?search_path=orrery&application_name=mine&connect_timeout=3")
	if err != nil {
		t.Fatal(err)
	}
	rp := cfg.ConnConfig.RuntimeParams
	if rp["search_path"] != "orrery" || rp["application_name"] != "mine" || cfg.ConnConfig.ConnectTimeout != 3*time.Second {
		t.Fatalf("settings from the URL were overridden: %+v, timeout %v", rp, cfg.ConnConfig.ConnectTimeout)
	}
	// A bad password must not show up in the error of a failed Open either.
	_, err = postgres.Open(context.Background(), "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2&sslmode=disable")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Open of a dead server: %v", err)
	}
}

func TestOpenURLForms(t *testing.T) {
	t.Parallel()
	name, u := freshSchema(t)
	// postgresql:// is the other scheme libpq accepts.
	s := open(t, "postgresql://"+strings.TrimPrefix(u, "postgres://"))
	defer s.Close()
	var n int
	if err := adminPool(t).QueryRow(context.Background(),
		`SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'flow_runs'`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("search_path from the URL ignored: no flow_runs in %s", name)
	}
	// A search_path naming no schema is refused with a clear error instead
	// of tables landing somewhere else.
	_, err := postgres.Open(context.Background(), withParams(t, serverURL(t), "search_path", "no_such_schema_x"))
	if err == nil || !strings.Contains(err.Error(), "search_path") {
		t.Fatalf("Open with a missing schema: %v", err)
	}
}

// TestOpenConcurrently: servers starting together on an empty schema apply
// the migrations once (the advisory lock), not twice or half.
func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	_, u := freshSchema(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), u)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name, u := freshSchema(t)
	s := open(t, u)
	defer s.Close()
	// A second store on the same schema holds prepared statements on the
	// tables Reset drops; they must keep working on the new tables.
	other := open(t, u)
	defer other.Close()

	// A table that is not Orrery's survives a reset.
	if _, err := adminPool(t).Exec(ctx, "CREATE TABLE "+name+".not_ours (x int)"); err != nil {
		t.Fatal(err)
	}
	var tables []string
	rows, err := adminPool(t).Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'not_ours' ORDER BY 1`, name)
	if err != nil {
		t.Fatal(err)
	}
	tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(append(slices.Clone(postgres.Tables), postgres.KeptTables...)))
	if !slices.Equal(tables, want) {
		t.Fatalf("postgres.Tables is out of date with the migrations:\n schema has %v\n Tables has %v", tables, want)
	}

	now := core.T(time.Now())
	f, _, err := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Created: now, Updated: now, Name: "f", Tags: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	st := &core.State{ID: uuid.New(), Type: core.Running, Name: "Running", Timestamp: now}
	run := &core.FlowRun{ID: uuid.New(), FlowID: f.ID, Name: "r", Tags: []string{}}
	run.State, run.StateType = st, &st.Type
	if _, _, err := s.CreateFlowRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetFlowRun(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLogs(ctx, []*core.Log{{ID: uuid.New(), Name: "l", Level: 20, Message: "m", Timestamp: now, FlowRunID: run.ID}}); err != nil {
		t.Fatal(err)
	}

	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range postgres.Tables {
		if tbl == "schema_migrations" {
			continue
		}
		var n int
		if err := adminPool(t).QueryRow(ctx, "SELECT count(*) FROM "+name+"."+tbl).Scan(&n); err != nil {
			t.Fatalf("%s after reset: %v", tbl, err)
		}
		if n != 0 {
			t.Fatalf("%s has %d rows after reset", tbl, n)
		}
	}
	var versions int
	if err := adminPool(t).QueryRow(ctx, "SELECT count(*) FROM "+name+".schema_migrations").Scan(&versions); err != nil || versions == 0 {
		t.Fatalf("schema_migrations after reset: %d, %v", versions, err)
	}
	if _, err := adminPool(t).Exec(ctx, "SELECT x FROM "+name+".not_ours"); err != nil {
		t.Fatalf("reset dropped a table that is not Orrery's: %v", err)
	}
	if _, err := other.GetFlowRun(ctx, run.ID); !core.IsNotFound(err) {
		t.Fatalf("the other store still sees the run: %v", err)
	}
	if _, _, err := other.CreateFlowRun(ctx, run); err != nil {
		t.Fatalf("the other store cannot write after reset: %v", err)
	}
	// Reset twice in a row (and on a store that just wrote) is fine.
	if err := other.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetFlowRun(ctx, run.ID); !core.IsNotFound(err) {
		t.Fatalf("run survived the second reset: %v", err)
	}
}

// TestJSONRoundTrip: jsonb reformats what it stores; raw JSON fields come
// back compact, and the characters jsonb handles specially survive.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, u := freshSchema(t)
	s := open(t, u)
	defer s.Close()
	f, _, err := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "ünï \"quoted\"", Tags: []string{"a/b", "é"}})
	if err != nil {
		t.Fatal(err)
	}
	r := &core.FlowRun{ID: uuid.New(), FlowID: f.ID, Name: "r", Parameters: []byte(`{"x":[1,2.5,"s p a c e"],"n":null}`), Context: []byte(`{}`)}
	if _, _, err := s.CreateFlowRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetFlowRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	// jsonb orders keys by length, then bytes: "n" before "x".
	if string(got.Parameters) != `{"n":null,"x":[1,2.5,"s p a c e"]}` {
		t.Fatalf("parameters came back as %s", got.Parameters)
	}
	if g, _ := s.GetFlow(ctx, f.ID); g.Name != f.Name || !slices.Equal(g.Tags, f.Tags) {
		t.Fatalf("flow came back as %+v", g)
	}
}

// TestSlotClaimsAcrossStores: the claim lock is in the database, so two
// stores (two server processes) sharing it cannot overbook a tag either.
func TestSlotClaimsAcrossStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, u := freshSchema(t)
	a, b := open(t, u), open(t, u)
	defer a.Close()
	defer b.Close()
	if _, _, err := a.UpsertConcurrencyLimit(ctx, &core.ConcurrencyLimit{ID: uuid.New(), Tag: "t", ConcurrencyLimit: 2}); err != nil {
		t.Fatal(err)
	}
	f, _, _ := a.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "f"})
	run := &core.FlowRun{ID: uuid.New(), FlowID: f.ID, Name: "r"}
	if _, _, err := a.CreateFlowRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	const n = 24
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		st := &core.State{ID: uuid.New(), Type: core.Pending, Name: "Pending"}
		tr := &core.TaskRun{ID: uuid.New(), FlowRunID: run.ID, TaskKey: "k", DynamicKey: uuid.NewString(), Name: "t", Tags: []string{"t"}}
		tr.State, tr.StateType = st, &st.Type
		if _, _, err := s.CreateTaskRun(ctx, tr); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := *tr
			next.State = &core.State{ID: uuid.New(), Type: core.Running, Name: "Running"}
			next.StateType = &next.State.Type
			err := s.CommitTaskRunTransition(ctx, &store.TaskRunTransition{Run: &next, ExpectedVersion: tr.Version, AppendState: true,
				AcquireSlots: []store.SlotClaim{{Tag: "t", Limit: 2}}})
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, store.ErrVersionConflict):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	l, err := b.GetConcurrencyLimitByTag(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if wins != 2 || len(l.ActiveSlots) != 2 {
		t.Fatalf("%d claims won, %d slots held; limit 2", wins, len(l.ActiveSlots))
	}
}
