// Command orrery-bench drives a Prefect 2.7 API server with concurrent
// clients and prints throughput, latency percentiles and the server's RSS.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
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
	rep := flag.Int("rep", 0, "repetition number (recorded in the JSON)")
	seeded := flag.Int("seeded", 0, "flow runs seeded in the database (recorded in the JSON)")
	rssOf := flag.Int("rss-of", 0, "print the RSS (kB) of this process and its descendants, and exit")
	cpuOf := flag.Int("cpu-of", 0, "print the CPU seconds (user+system) used so far by this process and its descendants, and exit")
	report := flag.String("report", "", "summarise the results in this directory as Markdown, and exit")
	waitHealthy := flag.String("wait-healthy", "", "poll this URL every 2 ms until it answers 200, print the ms since -since-ns, and exit")
	sinceNS := flag.Int64("since-ns", 0, "start of the -wait-healthy measurement (unix ns; default now)")
	timeout := flag.Duration("timeout", 120*time.Second, "give up -wait-healthy after this long")
	flag.Parse()
	if *waitHealthy != "" {
		ms, err := waitUntilHealthy(*waitHealthy, *sinceNS, *timeout, *pid)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%.1f\n", ms)
		return
	}
	if *rssOf != 0 {
		fmt.Println(treeRSS(*rssOf))
		return
	}
	if *cpuOf != 0 {
		fmt.Printf("%.3f\n", treeCPU(*cpuOf))
		return
	}
	if *report != "" {
		if err := writeReport(os.Stdout, *report); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		return
	}

	scenarios := []string{*scenario}
	if *scenario == "all" {
		scenarios = []string{"transitions", "logs", "filter"}
	}
	var rows []row
	failed := false
	idle := treeRSS(*pid)
	fmt.Printf("%-8s %-12s %7s %12s %10s %9s %9s %9s %7s %9s\n", "server", "scenario", "clients", "transitions/s", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "peak RSS MB")
	for _, sc := range scenarios {
		for _, cs := range strings.Split(*clients, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(cs))
			if err != nil || n <= 0 {
				fmt.Fprintf(os.Stderr, "bad client count %q\n", cs)
				os.Exit(2)
			}
			peak := startPeakRSS(*pid)
			res, err := load.Run(context.Background(), load.Config{URL: *url, Clients: n, Duration: *duration, Tasks: *tasks, Scenario: sc})
			peakKB := peak()
			if err != nil {
				fmt.Fprintln(os.Stderr, "error:", err)
				os.Exit(1)
			}
			after := treeRSS(*pid)
			all := res.Latency["all"]
			fmt.Printf("%-8s %-12s %7d %12.0f %10.0f %9.2f %9.2f %9.2f %7d %9.1f\n", *label, sc, n, res.TransitionsPerSec(), res.RequestsPerSec(),
				ms(all.P50), ms(all.P95), ms(all.P99), res.Errors+res.NotAccepted, float64(peakKB)/1024)
			if res.Errors+res.NotAccepted > 0 {
				failed = true
				fmt.Fprintf(os.Stderr, "  %d errors, %d not accepted; first: %s\n", res.Errors, res.NotAccepted, res.FirstError)
			}
			rows = append(rows, row{Kind: "api", Server: *label, Rep: *rep, Seeded: *seeded, Result: res, IdleRSSKB: idle, AfterRSSKB: after, PeakRSSKB: peakKB})
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

// waitUntilHealthy polls url until it answers 200 and returns the
// milliseconds since sinceNS. It fails early if process pid exits.
func waitUntilHealthy(url string, sinceNS int64, timeout time.Duration, pid int) (float64, error) {
	since := time.Now()
	if sinceNS != 0 {
		since = time.Unix(0, sinceNS)
	}
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(url); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return float64(time.Since(since).Microseconds()) / 1000, nil
			}
		}
		if pid != 0 {
			// A zombie keeps its /proc entry until the shell reaps it.
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err != nil || strings.Contains(string(b), ") Z ") {
				return 0, fmt.Errorf("process %d exited before %s answered", pid, url)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s did not answer 200 within %s", url, timeout)
}

// row is one load level's measurement as written to -json.
type row struct {
	Kind       string      `json:"kind"`
	Server     string      `json:"server"`
	Rep        int         `json:"rep"`
	Seeded     int         `json:"seeded,omitempty"`
	Result     load.Result `json:"result"`
	IdleRSSKB  int         `json:"idle_rss_kb"`
	AfterRSSKB int         `json:"after_rss_kb"`
	PeakRSSKB  int         `json:"peak_rss_kb"`
}

// startPeakRSS samples the RSS of pid's process tree every 100 ms until the
// returned function is called, which returns the largest sample (kB).
func startPeakRSS(pid int) func() int {
	if pid == 0 {
		return func() int { return 0 }
	}
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		peak := treeRSS(pid)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				done <- max(peak, treeRSS(pid))
				return
			case <-t.C:
				peak = max(peak, treeRSS(pid))
			}
		}
	}()
	return func() int { close(stop); return <-done }
}

// treeRSS is the summed VmRSS (kB) of pid and all its descendants: Prefect's
// `orion start` runs uvicorn as a child process, which holds the port.
func treeRSS(pid int) int {
	total := 0
	for _, p := range tree(pid) {
		total += rss(p)
	}
	return total
}

// treeCPU is the user+system CPU seconds of pid and its live descendants.
func treeCPU(pid int) float64 {
	total := 0.0
	for _, p := range tree(pid) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		total += (ut + st) / 100 // USER_HZ
	}
	return total
}

// tree lists pid and all its descendants.
func tree(pid int) []int {
	if pid == 0 {
		return nil
	}
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may contain spaces and parens.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		children[pp] = append(children[pp], p)
	}
	var out []int
	seen := map[int]bool{}
	var walk func(int)
	walk = func(p int) {
		if seen[p] {
			return
		}
		seen[p] = true
		out = append(out, p)
		for _, c := range children[p] {
			walk(c)
		}
	}
	walk(pid)
	return out
}

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
