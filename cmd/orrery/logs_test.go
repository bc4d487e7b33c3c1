package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
)

func TestFlowRunLogs(t *testing.T) {
	c := apiServer(t)
	var flow core.Flow
	post(t, c, "/flows/", map[string]any{"name": "f"}, &flow)
	var fr core.FlowRun
	post(t, c, "/flow_runs/", map[string]any{"flow_id": flow.ID, "state": map[string]any{"type": "RUNNING"}}, &fr)
	var tr core.TaskRun
	post(t, c, "/task_runs/", map[string]any{"flow_run_id": fr.ID, "task_key": "k", "dynamic_key": "0", "name": "work-0"}, &tr)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	logs := func(from, n int, ts func(i int) time.Time) {
		var recs []map[string]any
		for i := from; i < from+n; i++ {
			rec := map[string]any{"name": "prefect.flow_runs", "level": 20, "message": fmt.Sprintf("line %d", i),
				"timestamp": ts(i), "flow_run_id": fr.ID, "task_run_id": nil}
			if i%100 == 7 {
				rec["name"], rec["level"], rec["task_run_id"], rec["message"] = "prefect.task_runs", 40, tr.ID, fmt.Sprintf("Needle %d", i)
			}
			recs = append(recs, rec)
		}
		post(t, c, "/logs/", recs, nil)
	}
	// 450 lines, the first 250 of one timestamp: paging must neither skip
	// nor repeat ties at a page boundary.
	logs(0, 450, func(i int) time.Time { return t0.Add(time.Duration(max(0, i-249)) * time.Millisecond) })
	id := fr.ID.String()

	lines := func(out string) []string { return strings.Split(strings.TrimSuffix(out, "\n"), "\n") }
	out := mustRun(t, "flow-run", "logs", id)
	got := lines(out)
	if len(got) != 450 {
		t.Fatalf("%d lines, want 450", len(got))
	}
	for i, l := range got {
		if !strings.Contains(l, fmt.Sprintf(" %d", i)) || !strings.HasSuffix(l, fmt.Sprint(i)) {
			t.Fatalf("line %d is %q", i, l)
		}
	}
	if want := "2026-01-01T12:00:00.000000Z ERROR prefect.task_runs [work-0 " + tr.ID.String() + "] - Needle 7"; got[7] != want {
		t.Fatalf("task run line %q, want %q", got[7], want)
	}

	tests := []struct {
		name  string
		args  []string
		lines int
	}{
		{"grep", []string{"--grep", "NEEDLE"}, 5},
		{"level name", []string{"--level", "error"}, 5},
		{"level number", []string{"--level", "40"}, 5},
		{"level below all", []string{"--level", "DEBUG"}, 450},
		{"grep and level", []string{"--grep", "line 1", "--level", "INFO"}, 110},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustRun(t, append([]string{"flow-run", "logs", id}, tt.args...)...)
			if n := len(lines(out)); n != tt.lines {
				t.Fatalf("%d lines, want %d:\n%s", n, tt.lines, out)
			}
		})
	}
	for _, args := range [][]string{
		{"flow-run", "logs", id, "--level", "loud"},
		{"flow-run", "logs", "not-an-id"},
		{"flow-run", "logs", "00000000-0000-0000-0000-000000000001"},
	} {
		if out, err := run(t, args...); err == nil {
			t.Fatalf("orrery %v succeeded:\n%s", args, out)
		}
	}

	// --follow prints the lines written while it runs and exits once the
	// run has ended.
	done := make(chan string)
	go func() {
		out, err := run(t, "flow-run", "logs", id, "--follow", "--interval", "10ms", "--grep", "late")
		if err != nil {
			out = "error: " + err.Error()
		}
		done <- out
	}()
	post(t, c, "/logs/", []map[string]any{{"name": "prefect.flow_runs", "level": 20, "message": "late line",
		"timestamp": t0.Add(time.Second), "flow_run_id": fr.ID, "task_run_id": nil}}, nil)
	post(t, c, "/flow_runs/"+id+"/set_state", map[string]any{"state": map[string]any{"type": "COMPLETED"}}, nil)
	out = <-done
	if !strings.HasSuffix(out, " INFO prefect.flow_runs - late line\n") || len(lines(out)) != 1 {
		t.Fatalf("--follow printed:\n%s", out)
	}
}
