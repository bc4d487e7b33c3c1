// Command orrery-seed fills an Orrery SQLite database with flow runs for the
// scale benchmark. Runs are built the way the server builds them (the API's
// defaults, then the orchestration engine's forced Pending -> Running ->
// final-state transitions, so state, timing and run_count columns are what a
// real run leaves) and written through the store package in large batches
// (sqlite.Store.BulkCreateFlowRuns). Only each run's final state is kept in
// its state history, to keep seeding fast: the filter and count queries this
// seeds for never read the history.
//
//	orrery-seed -db /tmp/orrery.db -runs 1000000
//
// The mix: 70% Completed, 10% Failed, 5% Cancelled, 5% Crashed, 5% Running,
// 5% Scheduled (30-60 days ahead); 100 flows; half the runs tagged env:prod;
// expected start times spread over the 30 days before now.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

func main() {
	db := flag.String("db", "", "SQLite database file (created if missing)")
	runs := flag.Int("runs", 1_000_000, "flow runs to insert")
	flows := flag.Int("flows", 100, "flows the runs belong to")
	batch := flag.Int("batch", 50_000, "runs per transaction")
	seed := flag.Uint64("seed", 1, "random seed")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *db == "" {
		fmt.Fprintln(os.Stderr, "usage: orrery-seed -db FILE [-runs N]")
		os.Exit(2)
	}
	if err := run(*db, *runs, *flows, *batch, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "orrery-seed:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(path string, n, nflows, batch int, seed uint64) error {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	now := time.Now().UTC()
	flowIDs := make([]uuid.UUID, nflows)
	for i := range flowIDs {
		f := &core.Flow{ID: uuid.New(), Name: fmt.Sprintf("seed-flow-%03d", i), Tags: []string{}, Created: core.T(now), Updated: core.T(now)}
		out, _, err := s.CreateFlow(ctx, f)
		if err != nil {
			return err
		}
		flowIDs[i] = out.ID
	}
	start := time.Now()
	span := 30 * 24 * time.Hour
	// Two producers build and encode batches while the store's writer
	// inserts the previous ones.
	type job struct{ from, to int }
	jobs := make(chan job)
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed+uint64(w), seed^0x9e3779b97f4a7c15))
			for j := range jobs {
				buf := make([]*core.FlowRun, 0, j.to-j.from)
				for i := j.from; i < j.to; i++ {
					// Expected start times ascend with i, with jitter, over the last 30 days.
					at := now.Add(-span + time.Duration(float64(span)*(float64(i)+rng.Float64())/float64(n)))
					buf = append(buf, seedRun(rng, flowIDs[rng.IntN(nflows)], at, now))
				}
				// In id order, the primary-key index (random UUIDs) is
				// updated in one sweep per batch instead of at random.
				slices.SortFunc(buf, func(a, b *core.FlowRun) int { return strings.Compare(a.ID.String(), b.ID.String()) })
				if err := s.BulkCreateFlowRuns(ctx, buf); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	for i := 0; i < n; i += batch {
		select {
		case jobs <- job{i, min(i+batch, n)}:
		case err := <-errs:
			return err
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	el := time.Since(start)
	fmt.Printf("seeded %d flow runs (%d flows) in %.1f s (%.0f runs/s) into %s\n", n, nflows, el.Seconds(), float64(n)/el.Seconds(), path)
	return nil
}

var tagSets = [][]string{{"env:prod"}, {"env:prod", "team:data"}, {"env:dev"}, {}}

func seedRun(rng *rand.Rand, flowID uuid.UUID, at, now time.Time) *core.FlowRun {
	t := core.T(at)
	v := "1"
	run := &core.FlowRun{ID: uuid.New(), Created: t, Updated: t, Name: fmt.Sprintf("seed-%x", rng.Uint32()), FlowID: flowID,
		FlowVersion: &v, Parameters: []byte(`{}`), Context: []byte(`{}`), Tags: tagSets[rng.IntN(len(tagSets))]}
	run.EmpiricalPolicy.Normalize()
	force := func(typ core.StateType, when time.Time, sd *core.StateDetails) {
		d := orchestration.DecideFlow(orchestration.FlowInput{Run: run, Proposed: core.StateCreate{Type: typ, StateDetails: sd}, Force: true, Now: when})
		if d.Run != nil {
			run = d.Run
		}
	}
	p := rng.IntN(100)
	if p >= 95 { // Scheduled, 30 to 60 days ahead: never late while a seeded database is reused
		st := core.T(now.Add(30*24*time.Hour + time.Duration(rng.Int64N(int64(30*24*time.Hour)))))
		force(core.Scheduled, at, &core.StateDetails{ScheduledTime: &st})
		return run
	}
	force(core.Pending, at, nil)
	force(core.Running, at.Add(time.Second), nil)
	end := at.Add(time.Second + time.Duration(rng.Int64N(int64(10*time.Minute))))
	switch {
	case p < 70:
		force(core.Completed, end, nil)
	case p < 80:
		force(core.Failed, end, nil)
	case p < 85:
		force(core.Cancelled, end, nil)
	case p < 90:
		force(core.Crashed, end, nil)
	}
	return run
}
