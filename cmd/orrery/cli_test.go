package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/client"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

// apiServer serves the API over a private SQLite store and points the
// client commands at it.
func apiServer(t *testing.T) *client.Client {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: st}))
	t.Cleanup(func() { srv.Close(); st.Close() })
	t.Setenv("PREFECT_API_URL", srv.URL+"/api")
	t.Setenv("PREFECT_API_KEY", "")
	return client.New(srv.URL+"/api", "")
}

func post(t *testing.T, c *client.Client, path string, body, out any) {
	t.Helper()
	if err := c.Do(context.Background(), http.MethodPost, path, body, out); err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
}

// TestUnknownSubcommandFails: every command group rejects a subcommand it
// does not have with a non-zero exit; with none it prints its help.
func TestUnknownSubcommandFails(t *testing.T) {
	for _, group := range []string{"deployment", "work-queue", "flow-run", "database", "api-key", "server"} {
		t.Run(group, func(t *testing.T) {
			out, err := run(t, group, "frobnicate")
			if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
				t.Fatalf("orrery %s frobnicate: err %v\n%s", group, err, out)
			}
			out, err = run(t, group)
			if err != nil || !strings.Contains(out, "Available Commands") {
				t.Fatalf("orrery %s: err %v, want its help\n%s", group, err, out)
			}
		})
	}
	if _, err := run(t, "frobnicate"); err == nil {
		t.Fatal("orrery frobnicate succeeded")
	}
}

// TestDatabaseResetAsks: anything but y/yes aborts with an error (exit 1)
// and deletes nothing; --yes resets without asking.
func TestDatabaseResetAsks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "reset.db")
	t.Setenv("ORRERY_HOME", dir)
	t.Setenv("ORRERY_DATABASE_URL", "sqlite:///"+path)
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateFlow(context.Background(), &core.Flow{Name: "keep-me"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	count := func() int {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		fs, err := st.ListFlows(context.Background(), &store.FlowQuery{Page: store.Page{Limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		return len(fs)
	}
	for _, answer := range []string{"n\n", "\n", "", "nope\n"} {
		cmd := newRootCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetIn(strings.NewReader(answer))
		cmd.SetArgs([]string{"database", "reset"})
		if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "aborted") {
			t.Fatalf("answer %q: err %v, want an abort error\n%s", answer, err, out.String())
		}
		if n := count(); n != 1 {
			t.Fatalf("answer %q deleted data: %d flows left", answer, n)
		}
	}
	if out := mustRun(t, "database", "reset", "--yes"); !strings.Contains(out, "Reset") {
		t.Fatalf("reset --yes:\n%s", out)
	}
	if n := count(); n != 0 {
		t.Fatalf("after reset --yes: %d flows", n)
	}
}

// TestDeploymentLsNamesRunnable: ls prints FLOW/DEPLOYMENT, the very name
// inspect and run accept.
func TestDeploymentLsNamesRunnable(t *testing.T) {
	c := apiServer(t)
	var flow core.Flow
	post(t, c, "/flows/", map[string]any{"name": "etl"}, &flow)
	var dep core.Deployment
	post(t, c, "/deployments/", map[string]any{"name": "nightly", "flow_id": flow.ID}, &dep)

	out := mustRun(t, "deployment", "ls")
	if !strings.Contains(out, "etl/nightly") {
		t.Fatalf("deployment ls does not print etl/nightly:\n%s", out)
	}
	var shown core.Deployment
	if err := json.Unmarshal([]byte(mustRun(t, "deployment", "inspect", "etl/nightly")), &shown); err != nil || shown.ID != dep.ID {
		t.Fatalf("inspect etl/nightly: %v %+v", err, shown)
	}
	mustRun(t, "deployment", "run", "etl/nightly")
	runs, err := c.FilterFlowRuns(context.Background(), map[string]any{})
	if err != nil || len(runs) != 1 || runs[0].DeploymentID == nil || *runs[0].DeploymentID != dep.ID {
		t.Fatalf("deployment run created %d runs (%v)", len(runs), err)
	}
}

// TestFlowRunLsOrder: runs are listed by expected start, latest first, as
// the help says.
func TestFlowRunLsOrder(t *testing.T) {
	c := apiServer(t)
	var flow core.Flow
	post(t, c, "/flows/", map[string]any{"name": "f"}, &flow)
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	offsets := map[string]time.Duration{"early": 0, "middle": time.Hour, "late": 2 * time.Hour}
	for _, name := range []string{"early", "late", "middle"} {
		offset := offsets[name]
		post(t, c, "/flow_runs/", map[string]any{"flow_id": flow.ID, "name": name,
			"state": map[string]any{"type": "SCHEDULED", "state_details": map[string]any{"scheduled_time": base.Add(offset)}}}, nil)
	}
	out := mustRun(t, "flow-run", "ls")
	late, middle, early := strings.Index(out, "late"), strings.Index(out, "middle"), strings.Index(out, "early")
	if late < 0 || middle < 0 || early < 0 || !(late < middle && middle < early) {
		t.Fatalf("flow-run ls order is not latest first:\n%s", out)
	}
	out = mustRun(t, "flow-run", "ls", "--state", "completed")
	if strings.Contains(out, "early") {
		t.Fatalf("--state completed listed a scheduled run:\n%s", out)
	}
}

// TestHelpListsEverySetting: `orrery --help` promises every ORRERY_*
// setting; each name declared in shared/config.go must appear in it.
func TestHelpListsEverySetting(t *testing.T) {
	src, err := os.ReadFile("../../shared/config.go")
	if err != nil {
		t.Fatal(err)
	}
	help := newRootCmd().Long
	names := regexp.MustCompile(`"(ORRERY_[A-Z_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(names) < 10 {
		t.Fatalf("found only %d settings in shared/config.go", len(names))
	}
	for _, m := range names {
		if !regexp.MustCompile(`(^|[^A-Z_])` + m[1] + `([^A-Z_]|$)`).MatchString(help) {
			t.Errorf("orrery --help does not list %s", m[1])
		}
	}
}
