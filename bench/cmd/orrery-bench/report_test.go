package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	if s := summarize([]float64{3, 1, 2}); s != (stat{2, 1, 3}) {
		t.Fatalf("odd: %+v", s)
	}
	if s := summarize([]float64{4, 1, 2, 3}); s != (stat{2.5, 1, 4}) {
		t.Fatalf("even: %+v", s)
	}
	if got := summarize([]float64{2, 2}).fmt(1); got != "2.0" {
		t.Fatalf("no spread: %q", got)
	}
	if got := summarize([]float64{1, 3}).fmt(0); got != "2 (1–3)" {
		t.Fatalf("spread: %q", got)
	}
	if got := ratio(stat{med: 1}, stat{}, 1); got != "–" {
		t.Fatalf("ratio with a missing side: %q", got)
	}
}

func TestTreeRSSAndCPUOfSelf(t *testing.T) {
	pid := os.Getpid()
	if treeRSS(pid) <= 0 || treeCPU(pid) < 0 {
		t.Fatalf("rss %d cpu %f", treeRSS(pid), treeCPU(pid))
	}
}

func TestReportReadsResults(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"meta.env":                  "NPROC=2\nREPS=1\n",
		"footprint-orrery.jsonl":    `{"server":"orrery","rep":1,"start_ms":30,"idle_rss_kb":20480}` + "\n",
		"flows-orrery-200x1-1.json": `{"tasks":200,"runs":1,"wall_s":[2],"total_s":2}`,
		"flows-orrery-0x10-1.json":  `{"tasks":0,"runs":10,"wall_s":[0.1],"total_s":1}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := writeReport(&b, dir); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// (2 s - 1 run x 0.1 s baseline) / 200 tasks = 9.5 ms.
	for _, want := range []string{"| 1 run × 200 tasks | 2.00 | – |", "| 9.5 |", "| start-to-healthy ms | 30 |", "| idle RSS MB (1 s after healthy) | 20.0 |", "Not run."} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
