package api_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
)

// postLogs writes n INFO lines "line i" to the run, one per millisecond
// from t0, the ones in withTask from the task run.
func (b *testBundle) postLogs(run, task string, n int, withTask map[int]bool, msg func(int) string) {
	b.t.Helper()
	t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []map[string]any
	for i := range n {
		rec := map[string]any{"name": "prefect.flow_runs", "level": 20, "message": msg(i),
			"timestamp": t0.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano), "flow_run_id": run, "task_run_id": nil}
		if withTask[i] {
			rec["name"], rec["level"], rec["task_run_id"] = "prefect.task_runs", 40, task
		}
		recs = append(recs, rec)
	}
	if status, out := b.do("POST", "/api/logs/", recs); status != 201 {
		b.t.Fatalf("create logs: %d %v", status, out)
	}
}

func TestLogTextFilter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	runA, runB := b.newRun("RUNNING", nil), b.newRun("RUNNING", nil)
	b.postLogs(runA["id"].(string), "", 3, nil, func(i int) string { return []string{"Disk FULL on /var", "all good", "100% done"}[i] })
	b.postLogs(runB["id"].(string), "", 2, nil, func(i int) string { return []string{"disk full again", "ok"}[i] })
	filter := func(logs map[string]any) map[string]any { return map[string]any{"logs": logs} }
	text := func(q any) map[string]any { return map[string]any{"query": q} }
	runs := map[string]any{"any_": []any{runA["id"]}}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		want   []string
	}{
		{"across runs", filter(map[string]any{"text": text("disk full")}), 200, []string{"Disk FULL on /var", "disk full again"}},
		{"within a run", filter(map[string]any{"text": text("DISK"), "flow_run_id": runs}), 200, []string{"Disk FULL on /var"}},
		{"wildcard literal", filter(map[string]any{"text": text("00%")}), 200, []string{"100% done"}},
		{"short with a run", filter(map[string]any{"text": text("%"), "flow_run_id": runs}), 200, []string{"100% done"}},
		{"short without a run", filter(map[string]any{"text": text("ok")}), 422, nil},
		{"too long", filter(map[string]any{"text": text(strings.Repeat("x", 201))}), 422, nil},
		{"null query", filter(map[string]any{"text": text(nil)}), 422, nil},
		{"NUL in the query", filter(map[string]any{"text": text("ab\x00c")}), 422, nil},
		{"no query", filter(map[string]any{"text": map[string]any{}}), 422, nil},
		{"unknown key", filter(map[string]any{"text": map[string]any{"query": "abc", "mode": "x"}}), 422, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := b.do("POST", "/api/logs/filter", tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			if status != 200 {
				if field(out, "exception_message") != "Invalid request received." {
					t.Fatalf("422 body: %v", out)
				}
				return
			}
			var got []string
			for _, l := range out.([]any) {
				got = append(got, l.(map[string]any)["message"].(string))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	// The short-query refusal says what to add, at the query's location.
	_, out := b.do("POST", "/api/logs/filter", filter(map[string]any{"text": text("ok")}))
	detail := out.(map[string]any)["exception_detail"].([]any)[0].(map[string]any)
	if fmt.Sprint(detail["loc"]) != "[body logs text query]" || !strings.Contains(detail["msg"].(string), "flow_run_id") {
		t.Fatalf("detail: %v", detail)
	}
}

func TestLogDownload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := b.newRun("RUNNING", nil)
	runID := run["id"].(string)
	task := b.must(201, "POST", "/api/task_runs/", map[string]any{"flow_run_id": runID, "task_key": "say", "dynamic_key": "0", "name": "say-hello-0"})
	// More lines than a store page, so the download pages.
	const n = 2345
	b.postLogs(runID, task["id"].(string), n, map[int]bool{1: true, 2000: true}, func(i int) string { return fmt.Sprintf("line %d", i) })
	b.postLogs(b.newRun("RUNNING", nil)["id"].(string), "", 1, nil, func(int) string { return "another run" })

	base := b.srv.URL
	get := func(key, path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := get("", "/api/flow_runs/"+runID+"/logs/download")
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="`+run["name"].(string)+`-logs.txt"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != n {
		t.Fatalf("%d lines, want %d", len(lines), n)
	}
	want := map[int]string{
		0:     "2023-01-01T00:00:00.000000Z INFO prefect.flow_runs - line 0",
		1:     "2023-01-01T00:00:00.001000Z ERROR prefect.task_runs [say-hello-0 " + task["id"].(string) + "] - line 1",
		2000:  "2023-01-01T00:00:02.000000Z ERROR prefect.task_runs [say-hello-0 " + task["id"].(string) + "] - line 2000",
		n - 1: fmt.Sprintf("2023-01-01T00:00:02.344000Z INFO prefect.flow_runs - line %d", n-1),
	}
	for i, w := range want {
		if lines[i] != w {
			t.Fatalf("line %d = %q, want %q", i, lines[i], w)
		}
	}

	for path, status := range map[string]int{
		"/api/flow_runs/00000000-0000-0000-0000-000000000001/logs/download": 404,
		"/api/flow_runs/nope/logs/download":                                 422,
	} {
		if resp := get("", path); resp.StatusCode != status {
			t.Fatalf("%s: status %d, want %d", path, resp.StatusCode, status)
		}
	}

	// With API keys on, a read key downloads; no key is a 401.
	ab := setupAuth(t)
	w := ab.keys[core.ScopeWrite]
	_, flow := ab.as(w, "POST", "/api/flows/", map[string]any{"name": "f"})
	_, fr := ab.as(w, "POST", "/api/flow_runs/", map[string]any{"flow_id": field(flow, "id"), "state": map[string]any{"type": "RUNNING"}})
	path := "/api/flow_runs/" + field(fr, "id").(string) + "/logs/download"
	base = ab.srv.URL
	for key, status := range map[string]int{"": 401, ab.keys[core.ScopeRead]: 200} {
		if resp := get(key, path); resp.StatusCode != status {
			t.Fatalf("key %q: status %d, want %d", key, resp.StatusCode, status)
		}
	}
}
