#!/usr/bin/env bash
# smoke.sh: checks a LocalStack deployment (after deploy.sh) the way a user
# would: creates an API key in the deployed table, expects 401 without a
# key, runs a flow with the stock Prefect 2.7.12 client through the HTTP
# API, checks it Completed, and invokes the scheduler function once.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
localstack_up
[[ -f "$out/deployed.json" ]] || { echo "run localstack/deploy.sh first" >&2; exit 1; }

json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("for k in sys.argv[2:]: d=d[k]"); print(d)' "$@"; }
table=$(json "$out/deployed.json" outputs TableName)
api_url=$(json "$out/outputs.json" "$stack" ApiUrl)
tick_fn=$(json "$out/deployed.json" functions scheduler name)
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }

# 1. A key, created directly in the deployed table (the FirstKeyCommand output, against LocalStack).
make -C "$root" --no-print-directory build >/dev/null
key=$(ORRERY_DATABASE_URL="dynamodb://$table?region=$AWS_REGION&endpoint=$edge" \
  "$root/bin/orrery" api-key create --name "smoke-$$" --scope write --output json | json /dev/stdin key)
[[ -n "$key" ]] || fail "no key created"

# 2. No key: 401; open health check: 200.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$api_url/flows/filter" -H 'content-type: application/json' -d '{}')
[[ "$code" == 401 ]] || fail "POST /flows/filter without a key answered $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' "$api_url/health")
[[ "$code" == 200 ]] || fail "GET /health answered $code, want 200"

# 3. A flow with the stock client (the compat suite's pinned Prefect 2.7.12 venv).
bash "$root/tests/compat/setup.sh" >/dev/null
flow=$(mktemp --suffix=.py)
trap 'rm -f "$flow"' EXIT
cat >"$flow" <<'PY'
from prefect import flow, task

@task
def add(a, b):
    return a + b

@flow(name="localstack-smoke")
def smoke():
    return add(1, 2)

if __name__ == "__main__":
    state = smoke(return_state=True)
    print(state.type.value, state.result())
PY
result=$(PREFECT_API_URL=$api_url PREFECT_API_KEY=$key "$root/tests/compat/.venv/bin/python" "$flow" | tail -n 1)
[[ "$result" == "COMPLETED 3" ]] || fail "flow run: $result"

# 4. One scheduler tick, as EventBridge would send it.
awslocal lambda invoke --function-name "$tick_fn" \
  --payload '{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}' \
  --cli-binary-format raw-in-base64-out "$out/tick.json" >"$out/tick-meta.json" ||
  fail "invoking $tick_fn"
if grep -q FunctionError "$out/tick-meta.json"; then fail "scheduler tick: $(cat "$out/tick.json")"; fi
echo "smoke: OK (401 without a key, flow Completed through $api_url, one scheduler tick)"
