// Command orrery-retention seeds an Orrery SQLite database with finished
// flow runs and measures deleting them with `orrery database prune` (the
// same code path as the ORRERY_RETENTION service): the retention row of
// `make bench`.
//
//	orrery-retention -seed -db /tmp/orrery.db -runs 1000000
//	orrery-retention -orrery bin/orrery -db /tmp/copy.db -runs 1000000 -json out.json -md out.md
//
// Seeding writes through the store (sqlite.Store.BulkCreateFlowRuns and
// CreateLogs) in large transactions: -runs runs that finished 60 days ago
// (80% Completed, 10% Failed, 5% Cancelled, 5% Crashed), each with its
// final state and -logs log lines, plus -runs/10 runs that must survive
// (half finished yesterday, half Scheduled in the future). Measuring runs
// the binary as a child process and reports its wall time and peak RSS
// (getrusage of the child), then checks that exactly the kept runs remain.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

func main() {
	seed := flag.Bool("seed", false, "seed -db instead of measuring")
	db := flag.String("db", "", "SQLite database file")
	runs := flag.Int("runs", 1_000_000, "finished runs to delete")
	logs := flag.Int("logs", 2, "log lines per run")
	batch := flag.Int("batch", 50_000, "runs per seeding transaction")
	bin := flag.String("orrery", "bin/orrery", "the orrery binary to measure")
	pruneBatch := flag.Int("prune-batch", 0, "orrery database prune --batch (0: its default)")
	jsonOut := flag.String("json", "", "write the results as JSON here")
	mdOut := flag.String("md", "", "write the results as a Markdown table here")
	flag.Parse()
	var err error
	switch {
	case *seed && *db != "":
		err = seedDB(*db, *runs, *logs, *batch)
	case !*seed && *db != "":
		err = measure(*bin, *db, *runs, *logs, *pruneBatch, *jsonOut, *mdOut)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "orrery-retention:", err)
		os.Exit(1)
	}
}

var terminal = []core.StateType{core.Completed, core.Completed, core.Completed, core.Completed, core.Completed, core.Completed,
	core.Completed, core.Completed, core.Completed, core.Completed, core.Completed, core.Completed, core.Completed, core.Completed,
	core.Completed, core.Completed, core.Failed, core.Failed, core.Cancelled, core.Crashed}

func newRun(flow uuid.UUID, typ core.StateType, at time.Time) *core.FlowRun {
	st := &core.State{ID: uuid.New(), Type: typ, Name: typ.DefaultName(), Timestamp: core.T(at)}
	r := &core.FlowRun{ID: uuid.New(), Created: core.T(at.Add(-time.Minute)), Updated: core.T(at), Name: "run", FlowID: flow,
		Parameters: []byte(`{}`), Context: []byte(`{}`), Tags: []string{}}
	r.State, r.StateID, r.StateType, r.StateName = st, &st.ID, &st.Type, &st.Name
	r.ExpectedStartTime = core.TP(at.Add(-time.Minute))
	if typ.IsTerminal() {
		r.StartTime, r.EndTime = core.TP(at.Add(-time.Minute)), core.TP(at)
	} else {
		r.NextScheduledStartTime = r.ExpectedStartTime
	}
	return r
}

func seedDB(path string, n, logsPerRun, batch int) error {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	f, _, err := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "retention-bench", Tags: []string{}})
	if err != nil {
		return err
	}
	start := time.Now()
	old := time.Now().Add(-60 * 24 * time.Hour)
	var runs []*core.FlowRun
	var lines []*core.Log
	flush := func() error {
		if err := s.BulkCreateFlowRuns(ctx, runs); err != nil {
			return err
		}
		runs = runs[:0]
		if err := s.CreateLogs(ctx, lines); err != nil {
			return err
		}
		lines = lines[:0]
		return nil
	}
	for i := range n {
		at := old.Add(time.Duration(i) * time.Millisecond)
		r := newRun(f.ID, terminal[i%len(terminal)], at)
		runs = append(runs, r)
		for j := range logsPerRun {
			ts := core.T(at.Add(time.Duration(j) * time.Microsecond))
			lines = append(lines, &core.Log{ID: uuid.New(), Created: ts, Updated: ts, Name: "prefect.flow_runs", Level: 20,
				Message: fmt.Sprintf("Finished in state %s (run %d, line %d)", r.State.Name, i, j), Timestamp: ts, FlowRunID: r.ID})
		}
		if len(runs) == batch {
			if err := flush(); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "\r%d/%d runs", i+1, n)
		}
	}
	for i := range max(1, n/10) {
		typ, at := core.Completed, time.Now().Add(-24*time.Hour)
		if i%2 == 1 {
			typ, at = core.Scheduled, time.Now().Add(30*24*time.Hour)
		}
		runs = append(runs, newRun(f.ID, typ, at.Add(time.Duration(i)*time.Millisecond)))
	}
	if err := flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\rseeded %d runs (+%d kept) and %d log lines in %s\n", n, max(1, n/10), n*logsPerRun, time.Since(start).Round(time.Second))
	return nil
}

// Result is one measurement.
type Result struct {
	Runs        int     `json:"runs"`
	Kept        int     `json:"kept"`
	Logs        int     `json:"logs"`
	Deleted     string  `json:"deleted"` // the command's own report
	WallSeconds float64 `json:"wall_s"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	DBBeforeMB  float64 `json:"db_before_mb"`
	Left        int     `json:"runs_left"`
}

func measure(bin, db string, n, logsPerRun, batch int, jsonOut, mdOut string) error {
	ctx := context.Background()
	abs, err := filepath.Abs(db)
	if err != nil {
		return err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return err
	}
	args := []string{"database", "prune", "--older-than", "30d"}
	if batch > 0 {
		args = append(args, "--batch", fmt.Sprint(batch))
	}
	cmd := exec.Command(bin, args...)
	home, err := os.MkdirTemp("", "orrery-retention-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)
	cmd.Env = append(os.Environ(), "ORRERY_HOME="+home, "ORRERY_DATABASE_URL=sqlite:///"+abs, "ORRERY_RESULTS_URL=file://"+filepath.Join(home, "results"))
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		return fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), err)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	res := Result{Runs: n, Kept: max(1, n/10), Logs: n * logsPerRun, Deleted: strings.TrimSpace(string(out)), WallSeconds: wall.Seconds(),
		DBBeforeMB: float64(fi.Size()) / (1 << 20)}
	if ru != nil {
		res.PeakRSSMB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	s, err := sqlite.Open(ctx, abs)
	if err != nil {
		return err
	}
	res.Left, err = s.CountFlowRuns(ctx, &store.RunFilters{})
	s.Close()
	if err != nil {
		return err
	}
	if res.Left != res.Kept || !strings.Contains(res.Deleted, fmt.Sprintf("Deleted %d flow runs", n)) {
		return fmt.Errorf("pruned wrongly: %q, %d runs left, want %d", res.Deleted, res.Left, res.Kept)
	}
	fmt.Printf("retention: deleted %d runs (%d log lines) in %.1fs, peak RSS %.1f MB\n", n, res.Logs, res.WallSeconds, res.PeakRSSMB)
	if jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	if mdOut != "" {
		md := fmt.Sprintf(`
### Retention (orrery database prune --older-than 30d: the ORRERY_RETENTION service's code path, SQLite)

Seeded (bench/cmd/orrery-retention): %d flow runs that finished 60 days ago, each with its final state and %d log lines, plus %d runs that must stay (finished yesterday, or Scheduled). One process, batches of %s runs per write transaction.

| runs deleted | log lines deleted | database before | wall s | runs/s | peak RSS MB | runs left (want %d) |
|---|---|---|---|---|---|---|
| %d | %d | %.0f MB | %.1f | %.0f | %.1f | %d |
`, n, logsPerRun, res.Kept, batchText(batch), res.Kept, n, res.Logs, res.DBBeforeMB, res.WallSeconds, float64(n)/res.WallSeconds, res.PeakRSSMB, res.Left)
		if err := os.WriteFile(mdOut, []byte(md), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func batchText(b int) string {
	if b > 0 {
		return fmt.Sprint(b)
	}
	return "200 (the default)"
}
