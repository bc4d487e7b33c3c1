#!/usr/bin/env bash
# Benchmarks, side by side: Orrery (bin/orrery server start) and the Prefect
# 2.7.12 server (prefect orion start, from tests/compat/.venv), each on
# 127.0.0.1 with a fresh SQLite database, measured with the same load.
#
#   bench/run.sh            every scenario, both servers, BENCH_REPS times; writes
#                           bench/results/<UTC time>/ and its report.md
#   bench/run.sh --smoke    seconds long, Orrery only, one repetition: checks that the
#                           harness works (part of make test); fails on any error
#
# Scenarios (BENCH_SCENARIOS, comma-separated, default all five):
#   footprint  start-to-healthy time and idle RSS (whole process tree), fresh database
#   flows      bench/flows/tasks.py with the stock client: 1 run x 200 tasks,
#              10 runs x 20 tasks, 10 runs x 0 tasks (the per-flow-run baseline)
#   api        bench/load at BENCH_CLIENTS: transitions/s, p50/p95/p99, peak RSS; then
#              log batches and flow_runs/filter + count (BENCH_AUX_DURATION per level)
#   scale      flow_runs/filter and count on BENCH_SCALE_RUNS seeded runs (Orrery,
#              bench/cmd/orrery-seed; cached between runs) and BENCH_PREFECT_SCALE_RUNS
#              (Prefect, bench/flows/seed_prefect.py into its database)
#   dynamo     BenchmarkTaskRunTransition of internal/store/dynamo against
#              scripts/moto-local.sh, when both exist
#   logsearch  POST /logs/filter text searches (logs.text.query) on BENCH_LOG_LINES seeded
#              log lines (Orrery only: 2.7.12 has no text filter; bench/cmd/orrery-logsearch,
#              seeded database cached between runs), p50/p95 per query
#   retention  orrery database prune --older-than 30d on BENCH_RETENTION_RUNS finished runs
#              (Orrery only; bench/cmd/orrery-retention, seeded database cached): wall
#              time and peak RSS of the deleting process
# Knobs: BENCH_LOG_LINES (10000000), BENCH_LOG_DURATION (10s, per query), BENCH_RETENTION_RUNS (1000000),
#        BENCH_TARGETS (orrery,prefect), BENCH_REPS (3), BENCH_DURATION (10s),
#        BENCH_CLIENTS (1,8,64), BENCH_AUX_DURATION (5s), BENCH_SCALE_RUNS (1000000), BENCH_PREFECT_SCALE_RUNS
#        (100000), BENCH_SCALE_DURATION (10s), BENCH_OUT (results directory),
#        BENCH_CACHE (seeded databases; ~/.cache/orrery-bench), PREFECT_VENV.
# Every step has a time limit; servers listen on 127.0.0.1 only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
smoke=0
[[ "${1:-}" == "--smoke" ]] && smoke=1

reps=${BENCH_REPS:-3}
duration=${BENCH_DURATION:-10s}
clients=${BENCH_CLIENTS:-1,8,64}
scenarios=${BENCH_SCENARIOS:-footprint,flows,api,scale,dynamo,logsearch,retention}
targets=${BENCH_TARGETS:-orrery,prefect}
case "${BENCH_TARGET:-}" in both) targets=orrery,prefect ;; orrery|prefect) targets=$BENCH_TARGET ;; esac
scale_runs=${BENCH_SCALE_RUNS:-1000000}
prefect_scale_runs=${BENCH_PREFECT_SCALE_RUNS:-100000}
scale_duration=${BENCH_SCALE_DURATION:-10s}
aux_duration=${BENCH_AUX_DURATION:-5s}
log_lines=${BENCH_LOG_LINES:-10000000}
log_duration=${BENCH_LOG_DURATION:-10s}
retention_runs=${BENCH_RETENTION_RUNS:-1000000}
api_scenario=transitions
strict=()
venv=${PREFECT_VENV:-$root/tests/compat/.venv}
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orrery-bench}
tmp=$(mktemp -d)
out=${BENCH_OUT:-$root/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}
if (( smoke )); then
  reps=1 duration=1s clients=1,4 scenarios=footprint,api,scale,dynamo targets=orrery
  scale_runs=2000 scale_duration=1s api_scenario=all strict=(-strict) out=$tmp/results cache=$tmp/cache
  scenarios+=,logsearch log_lines=2000 log_duration=100ms
  scenarios+=,retention retention_runs=1000
fi
mkdir -p "$out"

pid=""
moto_dir=""
stop_server() {
  if [[ -n "$pid" ]]; then
    # The server runs in its own process group (setsid): Prefect's CLI
    # starts uvicorn as a child, which must go too.
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
  fi
}
cleanup() {
  stop_server
  [[ -n "$moto_dir" ]] && bash scripts/moto-local.sh stop "$moto_dir" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

has() { [[ ",$2," == *",$1,"* ]]; }
log() { printf '== %s\n' "$*"; }

# ---- build (bin/orrery comes from `make build`; build it here if missing)
[[ -x bin/orrery ]] || CGO_ENABLED=0 go build -trimpath -o bin/orrery ./cmd/orrery
go build -o "$tmp/orrery-bench" ./bench/cmd/orrery-bench
go build -o "$tmp/orrery-seed" ./bench/cmd/orrery-seed
go build -o "$tmp/orrery-logsearch" ./bench/cmd/orrery-logsearch
go build -o "$tmp/orrery-retention" ./bench/cmd/orrery-retention
bench=$tmp/orrery-bench
if has prefect "$targets" && [[ ! -x "$venv/bin/prefect" ]]; then
  log "installing the Prefect 2.7.12 virtualenv (tests/compat/setup.sh)"
  bash tests/compat/setup.sh
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server NAME DBFILE: starts NAME on a free port with the database at
# DBFILE; sets pid, url, start_ms (launch to first 200 from /api/health).
start_server() {
  local name=$1 db=$2 port t0
  port=$(free_port)
  url="http://127.0.0.1:$port/api"
  mkdir -p "$tmp/home-$name"
  t0=$(date +%s%N)
  if [[ $name == prefect ]]; then
    PATH="$venv/bin:$PATH" PREFECT_HOME="$tmp/home-$name" PREFECT_ORION_DATABASE_CONNECTION_URL="sqlite+aiosqlite:///$db" \
      PREFECT_ORION_ANALYTICS_ENABLED=false PREFECT_LOGGING_LEVEL=WARNING PREFECT_ORION_UI_ENABLED=true \
      setsid "$venv/bin/prefect" orion start --host 127.0.0.1 --port "$port" >>"$out/server-$name.log" 2>&1 &
  else
    ORRERY_DATABASE_URL="sqlite:///$db" ORRERY_HOME="$tmp/home-$name" ORRERY_LOG_LEVEL=warn \
      setsid bin/orrery server start --host 127.0.0.1 --port "$port" >>"$out/server-$name.log" 2>&1 &
  fi
  pid=$!
  if ! start_ms=$("$bench" -wait-healthy "$url/health" -since-ns "$t0" -timeout 180s -pid "$pid"); then
    tail -30 "$out/server-$name.log" >&2
    echo "$name did not become healthy" >&2
    exit 1
  fi
}

client_env() { # the stock client pointed at the server in $url
  # Default client settings: INFO logs go to the API too, as for any user.
  env PREFECT_API_URL="$url" PREFECT_HOME="$tmp/client-home" "$@"
}

{
  echo "DATE=$(date -u +%Y-%m-%dT%H:%MZ)"
  echo "HOST=$(uname -n)"
  echo "NPROC=$(nproc)"
  echo "CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
  echo "MEM_MB=$(free -m | awk '/^Mem:/ {print $2}')"
  echo "KERNEL=$(uname -sr)"
  echo "LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "ORRERY_VERSION=$(bin/orrery version 2>/dev/null | head -1 || git describe --always --dirty)"
  echo "GO=$(go env GOVERSION)"
  echo "SQLITE_GO=$(go list -m -f '{{.Version}}' modernc.org/sqlite 2>/dev/null)"
  if [[ -x "$venv/bin/python" ]]; then
    echo "PREFECT_VERSION=$("$venv/bin/python" -c 'import prefect; print(prefect.__version__)')"
    echo "PYTHON=$("$venv/bin/python" -c 'import platform; print("Python", platform.python_version())')"
    echo "SQLITE_PY=$("$venv/bin/python" -c 'import sqlite3; print(sqlite3.sqlite_version)')"
  fi
  echo "REPS=$reps"
  echo "DURATION=$duration"
  if (( smoke )); then echo "COMMAND=make bench-smoke"; else
    echo "COMMAND=$(env | grep -E '^(BENCH_[A-Z_]+|PREFECT_VENV)=' | sort | tr '\n' ' ')make bench"; fi
} >"$out/meta.env"

# ---- footprint
if has footprint "$scenarios"; then
  for t in ${targets//,/ }; do
    for rep in $(seq 1 "$reps"); do
      rm -f "$tmp/$t.db"*
      start_server "$t" "$tmp/$t.db"
      sleep 1
      idle=$("$bench" -rss-of "$pid")
      printf '{"server":"%s","rep":%d,"start_ms":%s,"idle_rss_kb":%s}\n' "$t" "$rep" "$start_ms" "$idle" >>"$out/footprint-$t.jsonl"
      log "footprint $t rep $rep: start-to-healthy ${start_ms} ms, idle RSS $((idle / 1024)) MB"
      stop_server
    done
  done
fi

# ---- stock-client flows
if has flows "$scenarios"; then
  if [[ ! -x "$venv/bin/python" ]]; then
    log "flows: skipped, no Prefect virtualenv at $venv (tests/compat/setup.sh makes it)"
  else
    for t in ${targets//,/ }; do
      for rep in $(seq 1 "$reps"); do
        rm -f "$tmp/$t.db"*
        start_server "$t" "$tmp/$t.db"
        for cfg in "0 10" "200 1" "20 10"; do
          set -- $cfg
          f="$out/flows-$t-${1}x${2}-$rep.json"
          cpu0=$("$bench" -cpu-of "$pid")
          if ! client_env timeout 900 "$venv/bin/python" bench/flows/tasks.py "$1" "$2" --json "$f" >>"$out/flows-$t.log" 2>&1; then
            tail -20 "$out/flows-$t.log" >&2; echo "flows: $t ${1}x${2} failed" >&2; exit 1
          fi
          cpu1=$("$bench" -cpu-of "$pid")
          printf '{"server":"%s","cfg":"%sx%s","rep":%d,"cpu_s":%s}\n' "$t" "$1" "$2" "$rep" "$(python3 -c "print(round($cpu1 - $cpu0, 3))")" \
            >>"$out/flowcpu-$t.jsonl"
          log "flows $t rep $rep: $1 tasks x $2 runs: $(python3 -c 'import json,sys; print("%.2f s" % json.load(open(sys.argv[1]))["total_s"])' "$f")"
        done
        stop_server
      done
    done
  fi
fi

# ---- API throughput and latency
if has api "$scenarios"; then
  for t in ${targets//,/ }; do
    for rep in $(seq 1 "$reps"); do
      rm -f "$tmp/$t.db"*
      start_server "$t" "$tmp/$t.db"
      sleep 0.5
      log "api $t rep $rep"
      timeout 1200 "$bench" -url "$url" -clients "$clients" -duration "$duration" -scenario "$api_scenario" \
        -pid "$pid" -label "$t" -rep "$rep" -json "$out/api-$t-$rep.json" "${strict[@]}"
      if (( ! smoke )); then
        # Log batches (50 lines each) and flow_runs/filter + count, on the
        # same server after the transitions levels.
        for sc in logs filter; do
          timeout 1200 "$bench" -url "$url" -clients "$clients" -duration "$aux_duration" -scenario "$sc" \
            -pid "$pid" -label "$t" -rep "$rep" -json "$out/api-$t-$rep-$sc.json"
        done
      fi
      stop_server
    done
  done
fi

# ---- scale
# A seeded database holds Scheduled runs 30 to 60 days ahead of its seeding:
# older than a week it is seeded again, long before the servers' late-runs
# services could find one late and write during the measurement.
drop_stale() { if [[ -f $1 ]] && [[ -n $(find "$1" -mmin +10080) ]]; then rm -f "$1"; fi; }
if has scale "$scenarios"; then
  for t in ${targets//,/ }; do
    if [[ $t == orrery ]]; then
      n=$scale_runs
      # Seeding a million runs takes minutes: keep the result, keyed by
      # everything that shapes the rows, and work on a copy.
      key=$(cat internal/store/sqlite/migrations/*.sql bench/cmd/orrery-seed/main.go internal/core/*.go internal/orchestration/*.go \
        | sha256sum | cut -c1-16)
      seeded=$cache/orrery-$n-$key.db
      drop_stale "$seeded"
      if [[ ! -f $seeded ]]; then
        mkdir -p "$cache"
        rm -f "$cache"/orrery-"$n"-*.db*
        log "scale: seeding $n Orrery flow runs into $seeded"
        timeout 1800 "$tmp/orrery-seed" -db "$seeded.tmp" -runs "$n"
        mv "$seeded.tmp" "$seeded"; rm -f "$seeded.tmp"-*
      fi
      cp --reflink=auto "$seeded" "$tmp/scale-$t.db"
    else
      n=$prefect_scale_runs
      key=$(cat bench/flows/seed_prefect.py tests/compat/requirements.lock | sha256sum | cut -c1-16)
      seeded=$cache/prefect-$n-$key.db
      drop_stale "$seeded"
      if [[ ! -f $seeded ]]; then
        mkdir -p "$cache"
        rm -f "$cache"/prefect-"$n"-*.db*
        # Let the server create its schema, then seed its database while it is stopped.
        rm -f "$tmp/seed-$t.db"*
        start_server "$t" "$tmp/seed-$t.db"
        stop_server
        log "scale: seeding $n Prefect flow runs into $seeded"
        timeout 1800 "$venv/bin/python" bench/flows/seed_prefect.py "$tmp/seed-$t.db" "$n"
        mv "$tmp/seed-$t.db" "$seeded"
      fi
      cp --reflink=auto "$seeded" "$tmp/scale-$t.db"
    fi
    start_server "$t" "$tmp/scale-$t.db"
    # One untimed pass warms the page cache, as on a server that has been up.
    timeout 600 "$bench" -url "$url" -clients 1 -duration 2s -scenario scale -label "$t" >/dev/null
    for rep in $(seq 1 "$reps"); do
      log "scale $t rep $rep ($n runs)"
      timeout 1200 "$bench" -url "$url" -clients 1 -duration "$scale_duration" -scenario scale -pid "$pid" -label "$t" \
        -rep "$rep" -seeded "$n" -json "$out/scale-$t-$rep.json" "${strict[@]}"
    done
    stop_server
  done
fi

# ---- DynamoDB (internal/store/dynamo's own benchmark against the emulator)
if has dynamo "$scenarios"; then
  if (( smoke )); then
    echo "not part of the smoke run" >"$out/dynamo-skip.txt"
  elif [[ ! -f scripts/moto-local.sh ]]; then
    echo "scripts/moto-local.sh does not exist yet" >"$out/dynamo-skip.txt"
  elif ! grep -qs 'func BenchmarkTaskRunTransition' internal/store/dynamo/*_test.go; then
    echo "internal/store/dynamo has no BenchmarkTaskRunTransition yet" >"$out/dynamo-skip.txt"
  else
    log "dynamo: starting the emulator (scripts/moto-local.sh)"
    bash scripts/moto-local.sh install >/dev/null
    moto_dir=$tmp/moto
    endpoint=$(bash scripts/moto-local.sh start "$moto_dir")
    if ! env "$endpoint" timeout 900 go test -run '^$' -bench BenchmarkTaskRunTransition -benchtime 100x -count "$reps" \
      ./internal/store/dynamo/ >"$out/dynamo.txt" 2>&1; then
      cat "$out/dynamo.txt" >&2
      mv "$out/dynamo.txt" "$out/dynamo-failed.txt"
      echo "the benchmark failed: see dynamo-failed.txt" >"$out/dynamo-skip.txt"
    fi
    bash scripts/moto-local.sh stop "$moto_dir" >/dev/null 2>&1 || true
    moto_dir=""
  fi
  [[ -f "$out/dynamo-skip.txt" ]] && log "dynamo: skipped: $(cat "$out/dynamo-skip.txt")"
  [[ -f "$out/dynamo.txt" ]] && grep '^Benchmark' "$out/dynamo.txt" || true
fi

# ---- log search (Orrery only: 2.7.12 has no text filter)
if has logsearch "$scenarios" && has orrery "$targets"; then
  n=$log_lines
  # Seeding 10M lines takes a long while: keep the result, keyed by what
  # shapes the rows and the index, and work on a copy.
  key=$(cat internal/store/sqlite/migrations/*.sql bench/cmd/orrery-logsearch/main.go internal/core/*.go | sha256sum | cut -c1-16)
  seeded=$cache/logs-$n-$key.db
  if [[ ! -f $seeded ]]; then
    mkdir -p "$cache"
    rm -f "$cache"/logs-"$n"-*.db*
    log "logsearch: seeding $n log lines into $seeded"
    timeout 14400 "$tmp/orrery-logsearch" -seed -db "$seeded.tmp" -lines "$n" -runs $(( n >= 1000 ? n / 1000 : 1 ))
    mv "$seeded.tmp" "$seeded"; rm -f "$seeded.tmp"-*
  fi
  cp --reflink=auto "$seeded" "$tmp/logsearch.db"
  start_server orrery "$tmp/logsearch.db"
  log "logsearch ($n lines)"
  timeout 1800 "$tmp/orrery-logsearch" -url "$url" -lines "$n" -runs $(( n >= 1000 ? n / 1000 : 1 )) -duration "$log_duration" \
    -json "$out/logsearch.json" -md "$out/logsearch.md"
  stop_server
fi

# ---- retention (Orrery only: 2.7.12 has no retention)
if has retention "$scenarios" && has orrery "$targets"; then
  n=$retention_runs
  key=$(cat internal/store/sqlite/migrations/*.sql bench/cmd/orrery-retention/main.go internal/core/*.go | sha256sum | cut -c1-16)
  seeded=$cache/retention-$n-$key.db
  if [[ ! -f $seeded ]]; then
    mkdir -p "$cache"
    rm -f "$cache"/retention-"$n"-*.db*
    log "retention: seeding $n finished runs into $seeded"
    timeout 14400 "$tmp/orrery-retention" -seed -db "$seeded.tmp" -runs "$n"
    mv "$seeded.tmp" "$seeded"; rm -f "$seeded.tmp"-*
  fi
  cp --reflink=auto "$seeded" "$tmp/retention.db"
  log "retention (delete $n runs)"
  timeout 7200 "$tmp/orrery-retention" -orrery bin/orrery -db "$tmp/retention.db" -runs "$n" -json "$out/retention.json" -md "$out/retention.md"
  rm -f "$tmp/retention.db"*
fi

echo "LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/meta.env"
"$bench" -report "$out" >"$out/report.md"
[[ -f "$out/logsearch.md" ]] && cat "$out/logsearch.md" >>"$out/report.md"
[[ -f "$out/retention.md" ]] && cat "$out/retention.md" >>"$out/report.md"
if (( smoke )); then
  grep -q '### 2. API' "$out/report.md" && grep -q '### 4. Scale' "$out/report.md" && grep -q '### Log search' "$out/report.md" && grep -q '### Retention' "$out/report.md" || { cat "$out/report.md"; echo "bench-smoke: report incomplete" >&2; exit 1; }
  echo "bench-smoke: ok"
else
  cat "$out/report.md"
  echo "results: $out"
fi
