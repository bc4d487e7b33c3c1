#!/usr/bin/env bash
# tests/lambda/run.sh [PYTEST ARGS...]: the deployed shape on one machine.
#
#   stock Prefect 2.7.12 client, CLI and agents
#     -> tests/lambdagw (API Gateway HTTP API stand-in, payload 2.0, API key)
#     -> functions/api under Lambda Runtime Interface Emulators (one per call in flight)
#     -> moto's DynamoDB (a fresh table) + S3 (a fresh results bucket)
#   tests/lambdagw's ticker -> functions/scheduler under its own emulator (for EventBridge)
#
# then the whole tests/compat suite against the gateway, including
# test_lambda_shape.py. Needs moto: run it through scripts/with-backends.sh
# (which exports ORRERY_TEST_DYNAMODB_ENDPOINT); `make compat-lambda` does.
#
# Settings: LAMBDA_API_EMULATORS (4), LAMBDA_TICK (2s), ORRERY_BIN (bin/orrery),
# LAMBDA_KEY_SCOPE (write: the scope of the suite's key, what a client and an
# agent hold),
# LAMBDA_LOG_DIR (.cache/lambda-run: emulator, function and gateway logs, kept
# after the run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
: "${ORRERY_TEST_DYNAMODB_ENDPOINT:?run through scripts/with-backends.sh (moto)}"
MOTO="$ORRERY_TEST_DYNAMODB_ENDPOINT"
N_API="${LAMBDA_API_EMULATORS:-4}"
TICK="${LAMBDA_TICK:-2s}"
ORRERY_BIN="${ORRERY_BIN:-$ROOT/bin/orrery}"
LOGS="${LAMBDA_LOG_DIR:-$ROOT/.cache/lambda-run}"
RIE="$ROOT/.cache/bin/aws-lambda-rie"
say() { echo "lambda: $*" >&2; }

bash "$ROOT/tests/lambda/install-rie.sh"
bash "$ROOT/tests/compat/setup.sh"
[[ -x "$ORRERY_BIN" ]] || { say "$ORRERY_BIN is missing: run make build"; exit 2; }

# Host-architecture bootstraps (the stack deploys arm64; the emulator runs
# whatever the host runs), built as `make lambda` builds them.
arch="$(go env GOARCH)"
for f in api scheduler; do
  GOOS=linux GOARCH="$arch" CGO_ENABLED=0 go build -trimpath -tags lambda.norpc -ldflags "-s -w" \
    -o "bin/lambda-host/$f/bootstrap" "./functions/$f"
done
go build -o bin/lambdagw ./tests/lambdagw
say "api bootstrap $(du -h bin/lambda-host/api/bootstrap | cut -f1), scheduler $(du -h bin/lambda-host/scheduler/bootstrap | cut -f1) ($arch)"

rm -rf "$LOGS"
mkdir -p "$LOGS"
run_id="$(date +%s)-$$"
TABLE="orrery-lambda-$run_id"
BUCKET="orrery-lambda-$run_id"

pids=()
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local status=$?
  if [[ -n "${gw_pid:-}" ]] && kill -0 "$gw_pid" 2>/dev/null; then
    kill -TERM "$gw_pid" 2>/dev/null || true
    wait "$gw_pid" 2>/dev/null || true
    grep -h "gateway stopped" "$LOGS/gateway.log" >&2 || true
  fi
  # Each emulator leads a process group holding its function process.
  if ((${#pids[@]})); then
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  fi
  if ((status != 0)); then
    say "failed ($status); logs in $LOGS"
    for f in "$LOGS"/gateway.log "$LOGS"/rie-*.log; do
      [[ -f "$f" ]] && { echo "== tail $f" >&2; grep -v -E '^(START|END|REPORT) RequestId|INVOKE (START|RTDONE)' "$f" | tail -n 15 >&2; }
    done
  fi
  exit "$status"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() {
  local port=$1 i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  say "nothing listening on $port"; return 1
}

# The function environment the CDK stack gives (ORRERY_SECRET_KEY directly
# instead of the SSM parameter), with moto's endpoint and test credentials.
secret="$(head -c 32 /dev/urandom | base64)"
fn_env=(
  "PATH=/usr/bin:/bin"
  "TZ=UTC" "LANG=C.UTF-8"
  "AWS_REGION=us-east-1" "AWS_DEFAULT_REGION=us-east-1"
  "AWS_ACCESS_KEY_ID=test" "AWS_SECRET_ACCESS_KEY=test"
  "ORRERY_DATABASE_URL=dynamodb://$TABLE?region=us-east-1&endpoint=$MOTO"
  "ORRERY_RESULTS_URL=s3://$BUCKET/results?region=us-east-1&endpoint=$MOTO"
  "ORRERY_SECRET_KEY=$secret"
  "ORRERY_LOG_LEVEL=${ORRERY_LOG_LEVEL:-info}"
)

# The stack creates the table and bucket before any function runs.
code="$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$MOTO/$BUCKET")"
[[ "$code" == 200 ]] || { say "creating bucket $BUCKET in moto: HTTP $code"; exit 1; }
env -i "${fn_env[@]}" "$ORRERY_BIN" database reset --yes >/dev/null
say "table $TABLE and bucket $BUCKET in moto at $MOTO"

# start_rie NAME FUNCTION TIMEOUT MEMORY: one emulator in its own process
# group (setsid: the cleanup stops it with its function), with the stack's
# timeout (s) and memory (MB); sets rie_url to its invoke URL. Not called in
# $(...): the pid must reach this shell's pids.
start_rie() {
  local name=$1 fn=$2 timeout=$3 memory=$4 port rport
  port="$(free_port)"; rport="$(free_port)"
  while [[ "$rport" == "$port" ]]; do rport="$(free_port)"; done
  setsid env -i "${fn_env[@]}" \
    AWS_LAMBDA_FUNCTION_NAME="orrery-$fn" AWS_LAMBDA_FUNCTION_TIMEOUT="$timeout" AWS_LAMBDA_FUNCTION_MEMORY_SIZE="$memory" \
    "$RIE" --log-level info --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$rport" \
    "$ROOT/bin/lambda-host/$fn/bootstrap" >"$LOGS/rie-$name.log" 2>&1 </dev/null &
  pids+=("$!")
  wait_port "$port"
  rie_url="http://127.0.0.1:$port/2015-03-31/functions/function/invocations"
}

# cold_start NAME URL PAYLOAD: the first invocation (the emulator inits the
# function on it); reports RIE's own INIT duration and the whole first call.
cold_start() {
  local name=$1 url=$2 payload=$3 t init
  t="$(curl -s -o "$LOGS/first-$name.json" -w '%{time_total}' -X POST "$url" -d "$payload")"
  init="$(sed -n 's/.*INIT REPORT(durationMs: \([0-9.]*\)).*/\1/p' "$LOGS/rie-$name.log" | head -n1)"
  grep -q '"statusCode":200\|^null$' "$LOGS/first-$name.json" || { say "$name: first invocation answered $(head -c 300 "$LOGS/first-$name.json")"; return 1; }
  printf 'lambda: cold start %-12s init %7s ms (RIE INIT REPORT), first invocation %4.0f ms end to end\n' "$name" "${init:-?}" "$(awk -v t="$t" 'BEGIN { print t * 1000 }')" >&2
}

# shellcheck disable=SC2016 # literal $default, the HTTP API's route and stage
health='{"version":"2.0","routeKey":"$default","rawPath":"/api/health","rawQueryString":"","headers":{},"requestContext":{"stage":"$default","http":{"method":"GET","path":"/api/health","sourceIp":"127.0.0.1"}},"isBase64Encoded":false}'
tick='{"version":"0","id":"cold-start","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{}}'

api_urls=()
for i in $(seq 1 "$N_API"); do
  start_rie "api-$i" api 29 512
  api_urls+=("$rie_url")
done
start_rie scheduler scheduler 50 256
sched_url="$rie_url"
# One at a time, so each init is measured on an idle machine.
for i in $(seq 1 "$N_API"); do cold_start "api-$i" "${api_urls[$((i - 1))]}" "$health"; done
cold_start scheduler "$sched_url" "$tick"

"$ROOT/bin/lambdagw" -api "$(IFS=,; echo "${api_urls[*]}")" -scheduler "$sched_url" -tick "$TICK" \
  -url-file "$LOGS/gateway.url" >/dev/null 2>"$LOGS/gateway.log" &
gw_pid=$!
for _ in $(seq 1 100); do [[ -s "$LOGS/gateway.url" ]] && break; sleep 0.05; done
GW="$(cat "$LOGS/gateway.url")"
say "gateway $GW -> $N_API api emulators; scheduler every $TICK"

# API keys, as a deployment's operator makes them: straight against the table.
keys_supported=0
if "$ORRERY_BIN" api-key --help >/dev/null 2>&1; then
  keys_supported=1
  make_key() {
    env -i "${fn_env[@]}" "$ORRERY_BIN" api-key create --name "$1" --scope "$2" --output json |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'
  }
  ORRERY_COMPAT_API_KEY="$(make_key compat "${LAMBDA_KEY_SCOPE:-write}")"
  ORRERY_COMPAT_READ_API_KEY="$(make_key compat-read read)"
  export ORRERY_COMPAT_API_KEY ORRERY_COMPAT_READ_API_KEY
  say "API keys created (${LAMBDA_KEY_SCOPE:-write} for the suite, read for the scope check)"
else
  say "WARNING: '$ORRERY_BIN api-key' does not exist yet: running without API keys"
fi

export ORRERY_COMPAT_API_URL="$GW/api"
export ORRERY_COMPAT_LAMBDA=1
export ORRERY_COMPAT_LAMBDA_S3_ENDPOINT="$MOTO"
export ORRERY_COMPAT_LAMBDA_BUCKET="$BUCKET"
export ORRERY_COMPAT_LAMBDA_KEYS="$keys_supported"
export ORRERY_BIN
start=$SECONDS
status=0
bash "$ROOT/tests/compat/run.sh" "$@" || status=$?
say "compat suite through the gateway: exit $status in $((SECONDS - start)) s"
for f in "$LOGS"/rie-*.log; do
  n="$(grep -c '^REPORT RequestId' "$f" || true)"
  say "$(basename "$f" .log): $n invocations"
done
exit "$status"
