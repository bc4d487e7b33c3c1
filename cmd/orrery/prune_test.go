package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

// TestDatabasePrune: --dry-run counts and deletes nothing; without it the
// old finished run goes (with its logs) and the recent and running ones
// stay; bad or missing --older-than values are clear errors.
func TestDatabasePrune(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prune.db")
	t.Setenv("ORRERY_HOME", dir)
	t.Setenv("ORRERY_DATABASE_URL", "sqlite:///"+path)
	t.Setenv("ORRERY_RESULTS_URL", "file://"+filepath.Join(dir, "results"))
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := st.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "f", Tags: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	newRun := func(typ core.StateType, end time.Time) uuid.UUID {
		s := &core.State{ID: uuid.New(), Type: typ, Name: typ.DefaultName(), Timestamp: core.T(end)}
		r := &core.FlowRun{ID: uuid.New(), Created: core.T(end), Updated: core.T(end), Name: "r", FlowID: f.ID,
			Parameters: json.RawMessage(`{}`), Context: json.RawMessage(`{}`), Tags: []string{}}
		r.State, r.StateID, r.StateType, r.StateName = s, &s.ID, &s.Type, &s.Name
		r.StartTime = core.TP(end.Add(-time.Minute))
		if typ.IsTerminal() {
			r.EndTime = core.TP(end)
		}
		if _, _, err := st.CreateFlowRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	old := newRun(core.Completed, time.Now().Add(-40*24*time.Hour))
	recent := newRun(core.Failed, time.Now().Add(-2*24*time.Hour))
	running := newRun(core.Running, time.Now().Add(-90*24*time.Hour))
	if err := st.CreateLogs(ctx, []*core.Log{{ID: uuid.New(), Name: "l", Level: 20, Message: "m", Timestamp: core.T(time.Now()), FlowRunID: old}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	exists := func(id uuid.UUID) bool {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, err = st.GetFlowRun(ctx, id)
		return err == nil
	}

	out := mustRun(t, "database", "prune", "--older-than", "30d", "--dry-run")
	if !strings.Contains(out, "Would delete 1 flow runs") || !strings.Contains(out, "1 logs") || !exists(old) {
		t.Fatalf("dry run:\n%s", out)
	}
	out = mustRun(t, "database", "prune", "--older-than", "30d")
	if !strings.Contains(out, "Deleted 1 flow runs") || !strings.Contains(out, "1 states, 1 logs") {
		t.Fatalf("prune:\n%s", out)
	}
	if exists(old) || !exists(recent) || !exists(running) {
		t.Fatalf("after prune: old %v recent %v running %v", exists(old), exists(recent), exists(running))
	}
	if out := mustRun(t, "database", "prune", "--older-than", "1d12h", "--batch", "1"); !strings.Contains(out, "Deleted 1 flow runs") || !exists(running) {
		t.Fatalf("1d12h:\n%s", out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"database", "prune"}, "--older-than is required"},
		{[]string{"database", "prune", "--older-than", "1w"}, `--older-than: want a positive period such as 30d`},
		{[]string{"database", "prune", "--older-than", "-3d"}, "--older-than"},
		{[]string{"database", "prune", "--older-than", "30d", "--batch", "0"}, "--batch must be positive"},
		// The server's own setting is parsed the same way, before it starts.
		{[]string{"server", "start", "--port", "0", "--retention", "a month"}, "--retention: want a positive period"},
	} {
		if out, err := run(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("orrery %s: err %v, want %q\n%s", strings.Join(tc.args, " "), err, tc.want, out)
		}
	}
}
