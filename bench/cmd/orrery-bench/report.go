package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/orrery-dev/orrery/bench/load"
)

// The result files bench/run.sh leaves in a directory, summarised by
// writeReport: every figure is the median over repetitions with the
// min-max spread beside it.
//
//	meta.env                      KEY=VALUE: machine, versions, command, load
//	footprint-SERVER.jsonl        {"server","rep","start_ms","idle_rss_kb"} per line
//	api-SERVER-REP.json           []row (kind api) from a load run
//	scale-SERVER-REP.json         []row (scenario scale) on a seeded database
//	flows-SERVER-TxR-REP.json     bench/flows/tasks.py output
//	dynamo.txt / dynamo-skip.txt  go test -bench output, or why it was skipped

type flowRec struct {
	Tasks  int       `json:"tasks"`
	Runs   int       `json:"runs"`
	WallS  []float64 `json:"wall_s"`
	TotalS float64   `json:"total_s"`
}

type footRec struct {
	Server    string  `json:"server"`
	Rep       int     `json:"rep"`
	StartMS   float64 `json:"start_ms"`
	IdleRSSKB float64 `json:"idle_rss_kb"`
}

// stat is a median with its spread.
type stat struct{ med, lo, hi float64 }

func summarize(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{m, s[0], s[len(s)-1]}
}

func (s stat) fmt(prec int) string {
	if s == (stat{}) {
		return "–"
	}
	f := "%." + strconv.Itoa(prec) + "f"
	if s.lo == s.hi {
		return fmt.Sprintf(f, s.med)
	}
	return fmt.Sprintf(f+" ("+f+"–"+f+")", s.med, s.lo, s.hi)
}

func ratio(a, b stat, prec int) string {
	if a.med == 0 || b.med == 0 {
		return "–"
	}
	return fmt.Sprintf("%."+strconv.Itoa(prec)+"f×", a.med/b.med)
}

// targets are the goals of the benchmark issue, checked on the medians.
type targets struct {
	minTransitionRatio float64 // over the transitions levels measured on both
	flowRatio          float64 // 200-task flow wall, Orrery / Prefect
	idleRSSMB, startMS float64 // Orrery
	filterP99MS        float64 // worst flow_runs/filter p99 on the seeded Orrery database
	seeded             int
}

func writeReport(w io.Writer, dir string) error {
	tg := targets{minTransitionRatio: -1, flowRatio: -1, idleRSSMB: -1, startMS: -1, filterP99MS: -1}
	meta := map[string]string{}
	if b, err := os.ReadFile(filepath.Join(dir, "meta.env")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				meta[k] = v
			}
		}
	}
	servers := []string{"orrery", "prefect"}
	fmt.Fprintf(w, "Run %s on %s: %s cores (%s), %s MB memory, %s. Load average %s at the start, %s at the end.\n\n",
		meta["DATE"], meta["HOST"], meta["NPROC"], meta["CPU"], meta["MEM_MB"], meta["KERNEL"], meta["LOAD_START"], meta["LOAD_END"])
	fmt.Fprintf(w, "Versions: Orrery %s (%s), Prefect %s (%s), SQLite: modernc.org/sqlite %s (Orrery) / %s (Prefect, Python's sqlite3).\n\n",
		meta["ORRERY_VERSION"], meta["GO"], meta["PREFECT_VERSION"], meta["PYTHON"], meta["SQLITE_GO"], meta["SQLITE_PY"])
	fmt.Fprintf(w, "Command: `%s` — %s repetitions; API levels %s each.\n\n", meta["COMMAND"], meta["REPS"], meta["DURATION"])

	// 1. Stock-client flows.
	flows := map[string]map[string][]flowRec{} // server -> "TxR" -> reps
	files, _ := filepath.Glob(filepath.Join(dir, "flows-*.json"))
	for _, f := range files {
		parts := strings.Split(strings.TrimSuffix(filepath.Base(f), ".json"), "-")
		if len(parts) != 4 {
			continue
		}
		var r flowRec
		if b, err := os.ReadFile(f); err != nil || json.Unmarshal(b, &r) != nil {
			continue
		}
		if flows[parts[1]] == nil {
			flows[parts[1]] = map[string][]flowRec{}
		}
		flows[parts[1]][parts[2]] = append(flows[parts[1]][parts[2]], r)
	}
	cpu := map[string]map[string][]float64{} // server -> cfg -> server CPU s per rep
	files, _ = filepath.Glob(filepath.Join(dir, "flowcpu-*.jsonl"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			var r struct {
				Server, Cfg string
				CPU         float64 `json:"cpu_s"`
			}
			if json.Unmarshal([]byte(line), &r) == nil && r.Server != "" {
				if cpu[r.Server] == nil {
					cpu[r.Server] = map[string][]float64{}
				}
				cpu[r.Server][r.Cfg] = append(cpu[r.Server][r.Cfg], r.CPU)
			}
		}
	}
	if len(flows) > 0 {
		fmt.Fprintln(w, "### 1. Stock-client flows (Prefect 2.7.12 client, tasks called in sequence)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Wall time is measured around the flow call (imports and client start-up excluded). Per-task overhead is (flow-run wall − the same server's median wall of a flow run with 0 tasks) / tasks.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Server CPU is what the server process tree used while the script ran (the client's own start-up included), per task.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| flow | Orrery wall s | Prefect wall s | Orrery / Prefect | Orrery ms/task | Prefect ms/task | per-task ratio | server CPU ms/task O / P |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
		base := map[string]float64{}
		for _, sv := range servers {
			var v []float64
			for _, r := range flows[sv]["0x10"] {
				v = append(v, r.TotalS/float64(r.Runs))
			}
			base[sv] = summarize(v).med
		}
		for _, cfg := range []string{"200x1", "20x10", "0x10"} {
			wall, per := map[string]stat{}, map[string]stat{}
			for _, sv := range servers {
				var wv, pv []float64
				for _, r := range flows[sv][cfg] {
					wv = append(wv, r.TotalS)
					if r.Tasks > 0 {
						pv = append(pv, 1000*(r.TotalS-float64(r.Runs)*base[sv])/float64(r.Tasks*r.Runs))
					}
				}
				wall[sv], per[sv] = summarize(wv), summarize(pv)
			}
			if cfg == "200x1" && wall["orrery"].med > 0 && wall["prefect"].med > 0 {
				tg.flowRatio = wall["orrery"].med / wall["prefect"].med
			}
			label := map[string]string{"200x1": "1 run × 200 tasks", "20x10": "10 runs × 20 tasks", "0x10": "10 runs × 0 tasks (baseline)"}[cfg]
			cpuPer := func(sv string) string {
				tasks := map[string]float64{"200x1": 200, "20x10": 200}[cfg]
				c := summarize(cpu[sv][cfg])
				if tasks == 0 || c == (stat{}) {
					return "–"
				}
				return fmt.Sprintf("%.2f", 1000*c.med/tasks)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", label, wall["orrery"].fmt(2), wall["prefect"].fmt(2), ratio(wall["orrery"], wall["prefect"], 3),
				per["orrery"].fmt(1), per["prefect"].fmt(1), ratio(per["orrery"], per["prefect"], 3), cpuPer("orrery"), cpuPer("prefect"))
		}
		fmt.Fprintln(w)
	}

	// 2. API throughput and latency.
	api := map[string]map[string][]row{} // server -> "scenario/clients" -> reps
	var levels []string
	files, _ = filepath.Glob(filepath.Join(dir, "api-*.json"))
	for _, f := range files {
		var rows []row
		if b, err := os.ReadFile(f); err != nil || json.Unmarshal(b, &rows) != nil {
			continue
		}
		for _, r := range rows {
			k := fmt.Sprintf("%s/%03d", r.Result.Scenario, r.Result.Clients)
			if api[r.Server] == nil {
				api[r.Server] = map[string][]row{}
			}
			api[r.Server][k] = append(api[r.Server][k], r)
			if !slices.Contains(levels, k) {
				levels = append(levels, k)
			}
		}
	}
	rank := map[string]int{"transitions": 0, "logs": 1, "filter": 2}
	sort.Slice(levels, func(i, j int) bool {
		si, _, _ := strings.Cut(levels[i], "/")
		sj, _, _ := strings.Cut(levels[j], "/")
		if rank[si] != rank[sj] {
			return rank[si] < rank[sj]
		}
		return levels[i] < levels[j]
	})
	if len(levels) > 0 {
		fmt.Fprintln(w, "### 2. API throughput and latency (bench/load: create flow run, Pending → Running, 3 task runs Pending → Running → Completed, flow Completed)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Latency is over every request of the level (create, set_state, ...). transitions/s counts set_state calls. logs: each request is a batch of 50 log lines (after one flow-run create per 10 batches); filter: flow_runs/filter (Completed, newest expected start first, 50) and flow_runs/count, alternately, on the database the transitions levels just filled — for these two, req/s is the figure.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| scenario | clients | Orrery transitions/s | Prefect transitions/s | ratio | Orrery req/s | Prefect req/s | Orrery p50 / p95 / p99 ms | Prefect p50 / p95 / p99 ms | errors O/P |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
		for _, k := range levels {
			get := func(sv string, f func(row) float64) stat {
				var v []float64
				for _, r := range api[sv][k] {
					v = append(v, f(r))
				}
				return summarize(v)
			}
			tps := func(r row) float64 { return r.Result.TransitionsPerSec() }
			rps := func(r row) float64 { return r.Result.RequestsPerSec() }
			lat := func(sv string) string {
				if len(api[sv][k]) == 0 {
					return "–"
				}
				p50 := get(sv, func(r row) float64 { return ms(r.Result.Latency["all"].P50) })
				p95 := get(sv, func(r row) float64 { return ms(r.Result.Latency["all"].P95) })
				p99 := get(sv, func(r row) float64 { return ms(r.Result.Latency["all"].P99) })
				return fmt.Sprintf("%.2f / %.2f / %s", p50.med, p95.med, p99.fmt(2))
			}
			errs := func(sv string) string {
				if len(api[sv][k]) == 0 {
					return "–"
				}
				n := int64(0)
				for _, r := range api[sv][k] {
					n += r.Result.Errors + r.Result.NotAccepted
				}
				return strconv.FormatInt(n, 10)
			}
			sc, cl, _ := strings.Cut(k, "/")
			ot, pt := get("orrery", tps), get("prefect", tps)
			or, pr := get("orrery", rps), get("prefect", rps)
			rt := ratio(ot, pt, 1)
			if sc == "transitions" && ot.med > 0 && pt.med > 0 && (tg.minTransitionRatio < 0 || ot.med/pt.med < tg.minTransitionRatio) {
				tg.minTransitionRatio = ot.med / pt.med
			}
			if sc != "transitions" {
				rt = ratio(or, pr, 1) + " (req/s)"
			}
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s/%s |\n", sc, atoi(cl), ot.fmt(0), pt.fmt(0), rt, or.fmt(0), pr.fmt(0),
				lat("orrery"), lat("prefect"), errs("orrery"), errs("prefect"))
		}
		fmt.Fprintln(w)
	}

	// 3. Footprint.
	foot := map[string][]footRec{}
	files, _ = filepath.Glob(filepath.Join(dir, "footprint-*.jsonl"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var r footRec
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				foot[r.Server] = append(foot[r.Server], r)
			}
		}
		fh.Close()
	}
	if len(foot) > 0 {
		fmt.Fprintln(w, "### 3. Footprint (fresh SQLite database each start; Prefect: the `prefect orion start` process and its uvicorn child)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| measure | Orrery | Prefect | Orrery / Prefect |")
		fmt.Fprintln(w, "|---|---|---|---|")
		get := func(sv string, f func(footRec) float64) stat {
			var v []float64
			for _, r := range foot[sv] {
				v = append(v, f(r))
			}
			return summarize(v)
		}
		st := func(r footRec) float64 { return r.StartMS }
		idle := func(r footRec) float64 { return r.IdleRSSKB / 1024 }
		if len(foot["orrery"]) > 0 {
			tg.startMS, tg.idleRSSMB = get("orrery", st).med, get("orrery", idle).med
		}
		fmt.Fprintf(w, "| start-to-healthy ms | %s | %s | %s |\n", get("orrery", st).fmt(0), get("prefect", st).fmt(0), ratio(get("orrery", st), get("prefect", st), 3))
		fmt.Fprintf(w, "| idle RSS MB (1 s after healthy) | %s | %s | %s |\n", get("orrery", idle).fmt(1), get("prefect", idle).fmt(1), ratio(get("orrery", idle), get("prefect", idle), 2))
		for _, k := range levels {
			peak := func(sv string) stat {
				var v []float64
				for _, r := range api[sv][k] {
					v = append(v, float64(r.PeakRSSKB)/1024)
				}
				return summarize(v)
			}
			if strings.HasPrefix(k, "transitions/") {
				o, p := peak("orrery"), peak("prefect")
				fmt.Fprintf(w, "| peak RSS MB under load, %d clients | %s | %s | %s |\n", atoi(strings.TrimPrefix(k, "transitions/")), o.fmt(1), p.fmt(1), ratio(o, p, 2))
			}
		}
		fmt.Fprintln(w)
	}

	// 4. Scale.
	scale := map[string][]row{}
	files, _ = filepath.Glob(filepath.Join(dir, "scale-*.json"))
	for _, f := range files {
		var rows []row
		if b, err := os.ReadFile(f); err != nil || json.Unmarshal(b, &rows) != nil {
			continue
		}
		for _, r := range rows {
			scale[r.Server] = append(scale[r.Server], r)
		}
	}
	if len(scale) > 0 {
		seeded := func(sv string) string {
			if len(scale[sv]) == 0 {
				return "–"
			}
			return strconv.Itoa(scale[sv][0].Seeded)
		}
		fmt.Fprintf(w, "### 4. Scale: reads on a seeded database (Orrery %s flow runs, Prefect %s), 1 client\n\n", seeded("orrery"), seeded("prefect"))
		fmt.Fprintln(w, "Each query is its own row (bench/load.ScaleQueries); the ratio compares p99s, at the database sizes above.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| query | Orrery p50 ms | Orrery p99 ms | Prefect p50 ms | Prefect p99 ms | p99 ratio |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
		var kinds []string
		for _, q := range load.ScaleKinds() {
			kinds = append(kinds, q)
		}
		for _, k := range kinds {
			get := func(sv string, p99 bool) stat {
				var v []float64
				for _, r := range scale[sv] {
					l, ok := r.Result.Latency[k]
					if !ok || l.Count == 0 {
						continue
					}
					if p99 {
						v = append(v, ms(l.P99))
					} else {
						v = append(v, ms(l.P50))
					}
				}
				return summarize(v)
			}
			if p := get("orrery", true).med; strings.HasPrefix(k, "filter_") && len(scale["orrery"]) > 0 && p > tg.filterP99MS {
				tg.filterP99MS, tg.seeded = p, scale["orrery"][0].Seeded
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", k, get("orrery", false).fmt(2), get("orrery", true).fmt(2),
				get("prefect", false).fmt(1), get("prefect", true).fmt(1), ratio(get("orrery", true), get("prefect", true), 4))
		}
		fmt.Fprintln(w)
	}

	// Targets.
	fmt.Fprintln(w, "### Targets (on the medians above)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | holds |")
	fmt.Fprintln(w, "|---|---|---|")
	check := func(name string, v float64, unit string, ok func(float64) bool) {
		if v < 0 {
			fmt.Fprintf(w, "| %s | not measured | – |\n", name)
			return
		}
		verdict := "no"
		if ok(v) {
			verdict = "yes"
		}
		fmt.Fprintf(w, "| %s | %s%s | %s |\n", name, strconv.FormatFloat(v, 'f', 2, 64), unit, verdict)
	}
	check("Orrery transitions/s ≥ 20× Prefect's (lowest ratio over the client levels)", tg.minTransitionRatio, "×", func(v float64) bool { return v >= 20 })
	check("200-task flow wall time ≤ 0.5× Prefect's", tg.flowRatio, "×", func(v float64) bool { return v <= 0.5 })
	check("idle RSS < 40 MB", tg.idleRSSMB, " MB", func(v float64) bool { return v < 40 })
	check("start-to-healthy < 150 ms", tg.startMS, " ms", func(v float64) bool { return v < 150 })
	check(fmt.Sprintf("flow_runs/filter p99 < 50 ms at 1M runs (worst query; %d seeded)", tg.seeded), tg.filterP99MS, " ms", func(v float64) bool { return v < 50 && tg.seeded >= 1_000_000 })
	fmt.Fprintln(w)

	// 5. DynamoDB.
	fmt.Fprintln(w, "### 5. DynamoDB store (BenchmarkTaskRunTransition against the local emulator)")
	fmt.Fprintln(w)
	if b, err := os.ReadFile(filepath.Join(dir, "dynamo.txt")); err == nil {
		fmt.Fprintln(w, "internal/store/dynamo's own benchmark, one line per repetition. The emulator (moto, in Python, applying requests one at a time) sets the speed: ns/op and transitions/s measure moto, not DynamoDB. The capacity units per transition (as the emulator reports them, and as estimated from item sizes) are what carries over to DynamoDB.")
		fmt.Fprintln(w)
		re := regexp.MustCompile(`^Benchmark\S+`)
		fmt.Fprintln(w, "```")
		for _, line := range strings.Split(string(b), "\n") {
			if re.MatchString(line) || strings.HasPrefix(line, "goos") || strings.HasPrefix(line, "cpu") {
				fmt.Fprintln(w, line)
			}
		}
		fmt.Fprintln(w, "```")
	} else if b, err := os.ReadFile(filepath.Join(dir, "dynamo-skip.txt")); err == nil {
		fmt.Fprintf(w, "Skipped: %s\n", strings.TrimSpace(string(b)))
	} else {
		fmt.Fprintln(w, "Not run.")
	}
	fmt.Fprintln(w)
	return nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
