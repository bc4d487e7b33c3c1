// Command orrery-bench drives a Prefect 2.7 API server with concurrent
// clients and prints throughput, latency percentiles and the server's RSS.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/orrery-dev/orrery/bench/load"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:4200/api", "API base URL")
	clients := flag.String("clients", "1,8,64", "comma-separated client counts")
	duration := flag.Duration("duration", 10*time.Second, "duration per level")
	tasks := flag.Int("tasks", 3, "task runs per flow run")
	scenario := flag.String("scenario", "transitions", "transitions, logs, filter or all")
	pid := flag.Int("pid", 0, "server process id (for RSS)")
	label := flag.String("label", "orrery", "name of the server in the output")
	jsonOut := flag.String("json", "", "write results as JSON to this file")
	strict := flag.Bool("strict", false, "exit non-zero if any request failed or was not accepted")
	flag.Parse()

	scenarios := []string{*scenario}
	if *scenario == "all" {
		scenarios = []string{"transitions", "logs", "filter"}
	}
	type row struct {
		Server     string      `json:"server"`
		Result     load.Result `json:"result"`
		IdleRSSKB  int         `json:"idle_rss_kb"`
		AfterRSSKB int         `json:"after_rss_kb"`
	}
	var rows []row
	failed := false
	idle := rss(*pid)
	fmt.Printf("%-8s %-12s %7s %12s %10s %9s %9s %9s %7s %9s\n", "server", "scenario", "clients", "transitions/s", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "RSS MB")
	for _, sc := range scenarios {
		for _, cs := range strings.Split(*clients, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(cs))
			if err != nil || n <= 0 {
				fmt.Fprintf(os.Stderr, "bad client count %q\n", cs)
				os.Exit(2)
			}
			res, err := load.Run(context.Background(), load.Config{URL: *url, Clients: n, Duration: *duration, Tasks: *tasks, Scenario: sc})
			if err != nil {
				fmt.Fprintln(os.Stderr, "error:", err)
				os.Exit(1)
			}
			after := rss(*pid)
			all := res.Latency["all"]
			fmt.Printf("%-8s %-12s %7d %12.0f %10.0f %9.2f %9.2f %9.2f %7d %9.1f\n", *label, sc, n, res.TransitionsPerSec(), res.RequestsPerSec(),
				ms(all.P50), ms(all.P95), ms(all.P99), res.Errors+res.NotAccepted, float64(after)/1024)
			if res.Errors+res.NotAccepted > 0 {
				failed = true
				fmt.Fprintf(os.Stderr, "  %d errors, %d not accepted; first: %s\n", res.Errors, res.NotAccepted, res.FirstError)
			}
			rows = append(rows, row{Server: *label, Result: res, IdleRSSKB: idle, AfterRSSKB: after})
		}
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rows, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if *pid != 0 {
		fmt.Printf("idle RSS before load: %.1f MB\n", float64(idle)/1024)
	}
	if failed && *strict {
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// rss reads VmRSS (kB) of pid from /proc; 0 when unknown.
func rss(pid int) int {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
	}
	return 0
}
