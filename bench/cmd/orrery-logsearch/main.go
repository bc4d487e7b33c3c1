// Command orrery-logsearch seeds an Orrery SQLite database with log lines
// and measures the log text search (POST /api/logs/filter with
// logs.text.query) against a running server: the log-search row of
// `make bench`.
//
//	orrery-logsearch -seed -db /tmp/orrery.db -lines 10000000
//	orrery-logsearch -url http://127.0.0.1:4200/api -lines 10000000 -duration 10s -json out.json -md out.md
//
// Seeding writes through sqlite.Store.CreateLogs (so the FTS index is kept
// by its triggers, as for logs the API receives) in large batches: lines
// spread over -runs flow runs in timestamp order, a mix of common and rare
// messages, and 100 unique "needle-<n>" lines evenly spaced. The run ids
// are derived from the line numbers, so the measuring side finds the run
// of any line without asking the server.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

var runNS = uuid.MustParse("6f1d5f52-8f0a-4c55-9a0c-5d1c2b8b7e11")

// layout: which run line i belongs to (consecutive blocks of perRun lines).
type layout struct{ lines, runs int }

func (l layout) perRun() int { return max(1, l.lines/max(1, l.runs)) }

func (l layout) runOf(i int) uuid.UUID {
	return uuid.NewSHA1(runNS, fmt.Appendf(nil, "run-%d", i/l.perRun()))
}

// needleEvery spaces the 100 needles.
func (l layout) needleEvery() int { return max(1, l.lines/100) }

func (l layout) message(i int, rng *rand.Rand) string {
	if i%l.needleEvery() == l.needleEvery()/2 {
		return fmt.Sprintf("needle-%d found in batch %d", i, i/1000)
	}
	switch r := rng.IntN(10_000); {
	case r == 0:
		return fmt.Sprintf("Checksum mismatch for part %d of s3://bucket/%08x", rng.IntN(100), rng.Uint32())
	case r < 2500:
		return fmt.Sprintf("Task run 'task-%d' - Finished in state Completed()", rng.IntN(500))
	case r < 5000:
		return fmt.Sprintf("HTTP GET https://api.example.com/items/%d returned 200 in %d ms", rng.IntN(1_000_000), rng.IntN(900))
	case r < 7500:
		return fmt.Sprintf("Downloaded %d rows from warehouse.table_%d (%d bytes)", rng.IntN(100_000), rng.IntN(50), rng.IntN(1<<30))
	default:
		return fmt.Sprintf("Retrying connection to db-%d.internal (attempt %d of 5)", rng.IntN(20), 1+rng.IntN(5))
	}
}

func main() {
	seed := flag.Bool("seed", false, "seed -db instead of measuring")
	db := flag.String("db", "", "SQLite database file to seed")
	lines := flag.Int("lines", 10_000_000, "log lines (seeded, or in the server's database)")
	runs := flag.Int("runs", 10_000, "flow runs the lines belong to")
	batch := flag.Int("batch", 20_000, "lines per CreateLogs call (one transaction)")
	url := flag.String("url", "", "API URL of a server on the seeded database")
	duration := flag.Duration("duration", 10*time.Second, "measuring time per query")
	minReps := flag.Int("min-reps", 5, "at least this many requests per query")
	jsonOut := flag.String("json", "", "write the results as JSON here")
	mdOut := flag.String("md", "", "write the results as a Markdown table here")
	flag.Parse()
	l := layout{lines: *lines, runs: *runs}
	var err error
	switch {
	case *seed && *db != "":
		err = seedDB(*db, l, *batch)
	case !*seed && *url != "":
		err = measure(*url, l, *duration, *minReps, *jsonOut, *mdOut)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "orrery-logsearch:", err)
		os.Exit(1)
	}
}

// seedDB writes the lines through the store with the FTS insert trigger
// set aside, then indexes them all at once (the FTS5 'rebuild' command)
// and puts the trigger back: the same index, built several times faster
// than row by row.
func seedDB(path string, l layout, batch int) error {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path) // applies the migrations
	if err != nil {
		return err
	}
	s.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer raw.Close()
	var trigger string
	if err := raw.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'logs_fts_insert'`).Scan(&trigger); err != nil {
		return fmt.Errorf("reading the FTS trigger: %w", err)
	}
	if _, err := raw.ExecContext(ctx, `DROP TRIGGER logs_fts_insert`); err != nil {
		return err
	}
	if s, err = sqlite.Open(ctx, path); err != nil {
		return err
	}
	if err := seedLines(ctx, s, l, batch); err != nil {
		s.Close()
		return err
	}
	s.Close()
	start := time.Now()
	for _, q := range []string{`INSERT INTO logs_fts (logs_fts) VALUES ('rebuild')`, trigger, `INSERT INTO logs_fts (logs_fts) VALUES ('optimize')`} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "indexed in %s\n", time.Since(start).Round(time.Second))
	return nil
}

func seedLines(ctx context.Context, s *sqlite.Store, l layout, batch int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	t0 := time.Now().Add(-30 * 24 * time.Hour).UTC().Truncate(time.Second)
	buf := make([]*core.Log, 0, batch)
	for i := 0; i < l.lines; i++ {
		ts := core.T(t0.Add(time.Duration(i) * time.Millisecond))
		lg := &core.Log{ID: uuid.New(), Created: ts, Updated: ts, Name: "prefect.flow_runs", Level: 20,
			Message: l.message(i, rng), Timestamp: ts, FlowRunID: l.runOf(i)}
		if rng.IntN(20) == 0 {
			lg.Level = 40
		}
		buf = append(buf, lg)
		if len(buf) == batch || i == l.lines-1 {
			if err := s.CreateLogs(ctx, buf); err != nil {
				return err
			}
			buf = buf[:0]
			if n := i + 1; n%(50*batch) == 0 || n == l.lines {
				fmt.Fprintf(os.Stderr, "seeded %d lines (%.0f/s)\n", n, float64(n)/time.Since(start).Seconds())
			}
		}
	}
	return nil
}

// query is one measured search.
type query struct {
	Name string         `json:"name"`
	Body map[string]any `json:"body"`
}

// result is a query's latencies.
type result struct {
	Name  string  `json:"name"`
	Reps  int     `json:"reps"`
	Rows  int     `json:"rows"`
	P50ms float64 `json:"p50_ms"`
	P95ms float64 `json:"p95_ms"`
	Lines int     `json:"lines"`
}

func queries(l layout) []query {
	mid := l.lines / 2
	run := l.runOf(mid)
	needle := l.needleEvery()*(100/2) + l.needleEvery()/2
	if needle >= l.lines {
		needle = l.needleEvery() / 2
	}
	text := func(q string) map[string]any { return map[string]any{"query": q} }
	inRun := map[string]any{"any_": []uuid.UUID{run}}
	return []query{
		{"unique needle, all runs", map[string]any{"logs": map[string]any{"text": text(fmt.Sprintf("needle-%d ", needle))}}},
		{"rare phrase (1 in 10,000), all runs, first 200", map[string]any{"logs": map[string]any{"text": text("checksum mismatch")}}},
		{"common phrase (1 in 4), all runs, first 200", map[string]any{"logs": map[string]any{"text": text("finished in state")}}},
		{"common phrase, all runs, newest 200", map[string]any{"logs": map[string]any{"text": text("finished in state")}, "sort": "TIMESTAMP_DESC"}},
		{"no match, all runs", map[string]any{"logs": map[string]any{"text": text("zebra unicorn")}}},
		{"common phrase + level >= 40, all runs", map[string]any{"logs": map[string]any{"text": text("retrying connection"), "level": map[string]any{"ge_": 40}}}},
		{"common phrase within one run", map[string]any{"logs": map[string]any{"text": text("finished in state"), "flow_run_id": inRun}}},
		{"2-character query within one run", map[string]any{"logs": map[string]any{"text": text("db"), "flow_run_id": inRun}}},
		{"one run's logs, no text (baseline)", map[string]any{"logs": map[string]any{"flow_run_id": inRun}}},
	}
}

func measure(url string, l layout, d time.Duration, minReps int, jsonOut, mdOut string) error {
	client := &http.Client{Timeout: 5 * time.Minute}
	do := func(body map[string]any) (int, error) {
		raw, _ := json.Marshal(body)
		resp, err := client.Post(url+"/logs/filter", "application/json", bytes.NewReader(raw))
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("status %d: %s", resp.StatusCode, data)
		}
		var out []json.RawMessage
		if err := json.Unmarshal(data, &out); err != nil {
			return 0, err
		}
		return len(out), nil
	}
	var results []result
	for _, q := range queries(l) {
		rows, err := do(q.Body) // untimed: warms the page cache for this query
		if err != nil {
			return fmt.Errorf("%s: %w", q.Name, err)
		}
		var lat []time.Duration
		start := time.Now()
		for len(lat) < minReps || time.Since(start) < d {
			t := time.Now()
			if _, err := do(q.Body); err != nil {
				return fmt.Errorf("%s: %w", q.Name, err)
			}
			lat = append(lat, time.Since(t))
		}
		slices.Sort(lat)
		pct := func(p float64) float64 {
			return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
		}
		r := result{Name: q.Name, Reps: len(lat), Rows: rows, P50ms: pct(0.50), P95ms: pct(0.95), Lines: l.lines}
		fmt.Fprintf(os.Stderr, "%-50s %5d rows  p50 %8.2f ms  p95 %8.2f ms  (%d requests)\n", r.Name, r.Rows, r.P50ms, r.P95ms, r.Reps)
		results = append(results, r)
	}
	if jsonOut != "" {
		raw, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(jsonOut, raw, 0o644); err != nil {
			return err
		}
	}
	if mdOut != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "\n### Log search (%d log lines, SQLite)\n\n", l.lines)
		b.WriteString("POST /api/logs/filter with logs.text.query, 1 client, after an untimed first request.\n\n")
		b.WriteString("| query | rows | p50 ms | p95 ms | requests |\n|---|---:|---:|---:|---:|\n")
		for _, r := range results {
			fmt.Fprintf(&b, "| %s | %d | %.2f | %.2f | %d |\n", r.Name, r.Rows, r.P50ms, r.P95ms, r.Reps)
		}
		if err := os.WriteFile(mdOut, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
