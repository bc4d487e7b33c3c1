// Package load is Orrery's load generator: N concurrent clients drive the
// stock client's hot path (create a flow run, Pending -> Running, task runs
// Pending -> Running -> Completed, flow Completed) against any server that
// speaks the Prefect 2.7 API, Orrery or Prefect's own, and report
// transitions per second and latency percentiles per request kind.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures one load level.
type Config struct {
	URL      string        // API base, e.g. http://127.0.0.1:4200/api
	Clients  int           // concurrent clients
	Duration time.Duration // how long to run
	Tasks    int           // task runs per flow run
	Scenario string        // "transitions", "logs", "filter" or "scale"
}

// Result is what one level measured.
type Result struct {
	Scenario    string                `json:"scenario"`
	Clients     int                   `json:"clients"`
	Elapsed     time.Duration         `json:"elapsed_ns"`
	Transitions int64                 `json:"transitions"`
	Requests    int64                 `json:"requests"`
	Errors      int64                 `json:"errors"`
	NotAccepted int64                 `json:"not_accepted"`
	FirstError  string                `json:"first_error,omitempty"`
	Latency     map[string]Percentile `json:"latency"`
}

// Percentile summarises latencies of one request kind.
type Percentile struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P95   time.Duration `json:"p95_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

// TransitionsPerSec is the throughput of set_state calls.
func (r Result) TransitionsPerSec() float64 { return float64(r.Transitions) / r.Elapsed.Seconds() }

// RequestsPerSec is the throughput of all requests.
func (r Result) RequestsPerSec() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// Summarize computes percentiles of samples (nearest-rank).
func Summarize(samples []time.Duration) Percentile {
	if len(samples) == 0 {
		return Percentile{}
	}
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) time.Duration {
		idx := int(q*float64(len(s))+0.999999) - 1
		if idx < 0 {
			idx = 0
		}
		if idx >= len(s) {
			idx = len(s) - 1
		}
		return s[idx]
	}
	return Percentile{Count: len(s), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: s[len(s)-1]}
}

type recorder struct {
	mu      sync.Mutex
	samples map[string][]time.Duration
	errs    atomic.Int64
	notAcc  atomic.Int64
	reqs    atomic.Int64
	trans   atomic.Int64
	first   atomic.Value
}

func (r *recorder) add(kind string, d time.Duration) {
	r.mu.Lock()
	r.samples[kind] = append(r.samples[kind], d)
	r.mu.Unlock()
}

func (r *recorder) fail(err error) {
	r.errs.Add(1)
	r.first.CompareAndSwap(nil, err.Error())
}

// client issues requests and records their latency.
type client struct {
	http *http.Client
	base string
	rec  *recorder
}

// Check validates a response: 2xx, and for set_state an ACCEPT.
func Check(kind string, status int, body []byte) (accepted bool, err error) {
	if status < 200 || status > 299 {
		return false, fmt.Errorf("%s: HTTP %d: %.200s", kind, status, body)
	}
	if kind != "set_state" {
		return true, nil
	}
	var res struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return false, fmt.Errorf("%s: bad JSON: %w", kind, err)
	}
	return res.Status == "ACCEPT", nil
}

func (c *client) do(ctx context.Context, kind, path string, body any, out any) bool {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-PREFECT-API-VERSION", "0.8.4")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			c.rec.fail(err)
		}
		return false
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return false // cut off by the deadline: not a sample
	}
	c.rec.reqs.Add(1)
	c.rec.add(kind, elapsed)
	ok, err := Check(kind, resp.StatusCode, data)
	if err != nil {
		c.rec.fail(err)
		return false
	}
	if kind == "set_state" {
		c.rec.trans.Add(1)
		if !ok {
			c.rec.notAcc.Add(1)
			c.rec.first.CompareAndSwap(nil, "set_state not accepted: "+string(data))
			return false
		}
	}
	if out != nil {
		_ = json.Unmarshal(data, out)
	}
	return true
}

// state is a StateCreate as the 2.7 client sends it.
func state(typ string) map[string]any {
	return map[string]any{"type": typ, "name": nil, "message": nil, "data": nil, "state_details": map[string]any{
		"flow_run_id": nil, "task_run_id": nil, "child_flow_run_id": nil, "scheduled_time": nil, "cache_key": nil,
		"cache_expiration": nil, "untrackable_result": false, "pause_timeout": nil, "pause_reschedule": false,
		"pause_key": nil, "refresh_cache": nil}}
}

func setState(typ string) map[string]any { return map[string]any{"state": state(typ), "force": false} }

// Run runs one load level until cfg.Duration has passed.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Tasks <= 0 {
		cfg.Tasks = 3
	}
	if cfg.Scenario == "" {
		cfg.Scenario = "transitions"
	}
	tr := &http.Transport{MaxIdleConns: cfg.Clients * 2, MaxIdleConnsPerHost: cfg.Clients * 2, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	rec := &recorder{samples: map[string][]time.Duration{}}
	c := &client{http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, base: cfg.URL, rec: rec}
	var flow struct {
		ID string `json:"id"`
	}
	if cfg.Scenario == "scale" {
		// Read-only: the database was seeded beforehand; write nothing.
		flow.ID = "-"
	} else if !c.do(ctx, "create_flow", "/flows/", map[string]any{"name": "bench-flow", "tags": []string{}}, &flow) || flow.ID == "" {
		return Result{}, fmt.Errorf("cannot create the benchmark flow: %v", rec.first.Load())
	}
	// The set-up request is not part of the measurement.
	rec = &recorder{samples: map[string][]time.Duration{}}
	c.rec = rec
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < cfg.Clients; i++ {
		wg.Add(1)
		go func(worker int) {
			defer wg.Done()
			for n := 0; runCtx.Err() == nil; n++ {
				switch cfg.Scenario {
				case "logs":
					c.logs(runCtx, flow.ID, worker)
				case "filter":
					c.filter(runCtx)
				case "scale":
					c.scale(runCtx, n+worker)
				default:
					c.flowRun(runCtx, flow.ID, cfg.Tasks)
				}
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := Result{Scenario: cfg.Scenario, Clients: cfg.Clients, Elapsed: elapsed, Transitions: rec.trans.Load(),
		Requests: rec.reqs.Load(), Errors: rec.errs.Load(), NotAccepted: rec.notAcc.Load(), Latency: map[string]Percentile{}}
	if f, ok := rec.first.Load().(string); ok {
		res.FirstError = f
	}
	var all []time.Duration
	for k, s := range rec.samples {
		res.Latency[k] = Summarize(s)
		all = append(all, s...)
	}
	res.Latency["all"] = Summarize(all)
	return res, nil
}

// flowRun is one flow run with its task runs, as the engine drives them.
func (c *client) flowRun(ctx context.Context, flowID string, tasks int) {
	var run struct {
		ID string `json:"id"`
	}
	if !c.do(ctx, "create_flow_run", "/flow_runs/", map[string]any{
		"flow_id": flowID, "flow_version": "1", "name": nil, "parameters": map[string]any{}, "context": map[string]any{},
		"tags": []string{}, "parent_task_run_id": nil, "state": state("PENDING"), "deployment_id": nil,
		"infrastructure_document_id": nil, "idempotency_key": nil,
		"empirical_policy": map[string]any{"max_retries": 0, "retry_delay_seconds": 0, "retries": 0, "retry_delay": 0, "pause_keys": []string{}, "resuming": false},
	}, &run) {
		return
	}
	if !c.do(ctx, "set_state", "/flow_runs/"+run.ID+"/set_state", setState("RUNNING"), nil) {
		return
	}
	for i := 0; i < tasks; i++ {
		var task struct {
			ID string `json:"id"`
		}
		if !c.do(ctx, "create_task_run", "/task_runs/", map[string]any{
			"name": "work-" + strconv.Itoa(i), "flow_run_id": run.ID, "task_key": "bench.work", "dynamic_key": strconv.Itoa(i),
			"cache_key": nil, "cache_expiration": nil, "task_version": nil, "tags": []string{}, "task_inputs": map[string]any{},
			"state":            state("PENDING"),
			"empirical_policy": map[string]any{"max_retries": 0, "retry_delay_seconds": 0, "retries": 0, "retry_delay": 0, "retry_jitter_factor": nil},
		}, &task) {
			return
		}
		if !c.do(ctx, "set_state", "/task_runs/"+task.ID+"/set_state", setState("RUNNING"), nil) ||
			!c.do(ctx, "set_state", "/task_runs/"+task.ID+"/set_state", setState("COMPLETED"), nil) {
			return
		}
	}
	c.do(ctx, "set_state", "/flow_runs/"+run.ID+"/set_state", setState("COMPLETED"), nil)
}

func (c *client) logs(ctx context.Context, flowID string, worker int) {
	var run struct {
		ID string `json:"id"`
	}
	if !c.do(ctx, "create_flow_run", "/flow_runs/", map[string]any{"flow_id": flowID, "state": state("PENDING")}, &run) {
		return
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000+00:00")
	batch := make([]map[string]any, 50)
	for i := range batch {
		batch[i] = map[string]any{"name": "prefect.flow_runs", "level": 20, "message": fmt.Sprintf("worker %d line %d", worker, i),
			"timestamp": now, "flow_run_id": run.ID, "task_run_id": nil}
	}
	for i := 0; i < 10 && ctx.Err() == nil; i++ {
		c.do(ctx, "create_logs", "/logs/", batch, nil)
	}
}

func (c *client) filter(ctx context.Context) {
	c.do(ctx, "filter_flow_runs", "/flow_runs/filter", map[string]any{"flow_runs": map[string]any{"state": map[string]any{"type": map[string]any{"any_": []string{"COMPLETED"}}}}, "limit": 50, "sort": "EXPECTED_START_TIME_DESC"}, nil)
	c.do(ctx, "count_flow_runs", "/flow_runs/count", map[string]any{"flow_runs": map[string]any{"state": map[string]any{"type": map[string]any{"any_": []string{"COMPLETED"}}}}}, nil)
}

// ScaleQueries are the reads the scale scenario cycles through on a seeded
// database: what the UI's flow-run list and dashboard and the client's
// read_flow_runs send. Each is its own latency row.
var ScaleQueries = []struct {
	Kind, Path string
	Body       map[string]any
}{
	{"filter_default", "/flow_runs/filter", map[string]any{"limit": 50}},
	{"filter_completed_by_expected_start", "/flow_runs/filter", map[string]any{
		"flow_runs": map[string]any{"state": map[string]any{"type": map[string]any{"any_": []string{"COMPLETED"}}}},
		"sort":      "EXPECTED_START_TIME_DESC", "limit": 50}},
	{"filter_failed_crashed_by_start", "/flow_runs/filter", map[string]any{
		"flow_runs": map[string]any{"state": map[string]any{"type": map[string]any{"any_": []string{"FAILED", "CRASHED"}}}},
		"sort":      "START_TIME_DESC", "limit": 50}},
	{"filter_tag_by_expected_start", "/flow_runs/filter", map[string]any{
		"flow_runs": map[string]any{"tags": map[string]any{"all_": []string{"team:data"}}},
		"sort":      "EXPECTED_START_TIME_DESC", "limit": 50}},
	{"filter_next_scheduled", "/flow_runs/filter", map[string]any{
		"flow_runs": map[string]any{"state": map[string]any{"type": map[string]any{"any_": []string{"SCHEDULED"}}}},
		"sort":      "NEXT_SCHEDULED_START_TIME_ASC", "limit": 50}},
	{"count_all", "/flow_runs/count", map[string]any{}},
	{"count_completed", "/flow_runs/count", map[string]any{
		"flow_runs": map[string]any{"state": map[string]any{"type": map[string]any{"any_": []string{"COMPLETED"}}}}}},
	{"count_failed_last_day", "/flow_runs/count", map[string]any{
		"flow_runs": map[string]any{"state": map[string]any{"type": map[string]any{"any_": []string{"FAILED"}}},
			"expected_start_time": map[string]any{"after_": time.Now().UTC().Add(-24 * time.Hour).Format("2006-01-02T15:04:05.000000+00:00")}}}},
}

// ScaleKinds lists the kinds of ScaleQueries in order.
func ScaleKinds() []string {
	out := make([]string, len(ScaleQueries))
	for i, q := range ScaleQueries {
		out[i] = q.Kind
	}
	return out
}

// scale sends one of ScaleQueries, round robin.
func (c *client) scale(ctx context.Context, n int) {
	q := ScaleQueries[n%len(ScaleQueries)]
	c.do(ctx, q.Kind, q.Path, q.Body, nil)
}
