#!/usr/bin/env bash
# Benchmark harness. Starts a server on a free loopback port with a fresh
# SQLite database, measures start-to-healthy time and idle RSS, runs the load
# generator, and stops the server.
#
#   bench/run.sh            Orrery at 1, 8, 64 clients, 10 s each
#   bench/run.sh --smoke    seconds-long sanity run (part of make test); fails on any error
#   BENCH_TARGET=prefect bench/run.sh   the same load against `prefect orion start`
#   BENCH_TARGET=both bench/run.sh      both, side by side
# Knobs: BENCH_DURATION (10s), BENCH_CLIENTS (1,8,64), BENCH_SCENARIO (transitions|logs|filter|all),
#        PREFECT_VENV (tests/compat/.venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
smoke=0
[[ "${1:-}" == "--smoke" ]] && smoke=1
duration=${BENCH_DURATION:-10s}
clients=${BENCH_CLIENTS:-1,8,64}
scenario=${BENCH_SCENARIO:-transitions}
strict=()
if (( smoke )); then duration=1s; clients=1,4; scenario=all; strict=(-strict); fi
venv=${PREFECT_VENV:-$root/tests/compat/.venv}
tmp=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

[[ -x bin/orrery ]] || go build -o bin/orrery ./cmd/orrery
go build -o "$tmp/orrery-bench" ./bench/cmd/orrery-bench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

# start_server NAME -> sets pid, url; prints start-to-healthy
start_server() {
  local name=$1 port
  port=$(free_port)
  url="http://127.0.0.1:$port/api"
  local t0; t0=$(now_ms)
  if [[ $name == prefect ]]; then
    [[ -x "$venv/bin/prefect" ]] || bash tests/compat/setup.sh
    PATH="$venv/bin:$PATH" PREFECT_HOME="$tmp/prefect-home" PREFECT_ORION_DATABASE_CONNECTION_URL="sqlite+aiosqlite:///$tmp/prefect.db" \
      PREFECT_ORION_ANALYTICS_ENABLED=false PREFECT_LOGGING_LEVEL=WARNING \
      "$venv/bin/prefect" orion start --host 127.0.0.1 --port "$port" >"$tmp/$name.log" 2>&1 &
  else
    ORRERY_DATABASE_URL="sqlite:///$tmp/orrery.db" ORRERY_HOME="$tmp/orrery-home" ORRERY_LOG_LEVEL=warn \
      bin/orrery server start --host 127.0.0.1 --port "$port" >"$tmp/$name.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 1 600); do
    if curl -sf "$url/health" >/dev/null 2>&1; then
      echo "$name: start-to-healthy $(( $(now_ms) - t0 )) ms"
      # the uvicorn parent may fork; measure the process holding the port
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$tmp/$name.log"; echo "$name failed to start" >&2; exit 1; fi
    sleep 0.01
  done
  echo "$name did not become healthy" >&2; cat "$tmp/$name.log"; exit 1
}

stop_server() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}

run_target() {
  local name=$1
  start_server "$name"
  sleep 0.5
  "$tmp/orrery-bench" -url "$url" -clients "$clients" -duration "$duration" -scenario "$scenario" \
    -pid "$pid" -label "$name" -json "$tmp/$name.json" "${strict[@]}"
  mkdir -p bench/results
  cp "$tmp/$name.json" "bench/results/$name-$(date +%Y%m%dT%H%M%S).json"
  stop_server
}

case "${BENCH_TARGET:-orrery}" in
  orrery) run_target orrery ;;
  prefect) run_target prefect ;;
  both) run_target orrery; run_target prefect ;;
  *) echo "BENCH_TARGET must be orrery, prefect or both" >&2; exit 2 ;;
esac
