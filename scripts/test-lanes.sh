#!/usr/bin/env bash
# test-lanes.sh: `make test` in two lanes, so the CDK module's long first
# compile overlaps the client suites instead of adding to them.
#
#   clients (foreground, streamed): test-go compat test-schema compat-lambda deploy-moto bench-smoke
#   stack   (background, logged):   test-infra lint-scripts test-ui-run
#
# The stack lane never builds bin/orrery or the function binaries, which the
# client lane runs, so the lanes share no outputs (test-ui-run only runs
# bin/orrery and builds web/ into a temporary directory). Exits non-zero if either
# lane failed, after printing the stack lane's log.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
log=$(mktemp /tmp/orrery-stack-lane.XXXXXX)
start=$(date +%s)
make --no-print-directory test-infra lint-scripts test-ui-run >"$log" 2>&1 &
stack=$!
make --no-print-directory test-go compat test-schema compat-lambda deploy-moto bench-smoke
clients=$?
echo "== client lane: exit $clients after $(($(date +%s) - start)) s"
wait "$stack"
stack_rc=$?
echo "== stack lane (test-infra lint-scripts test-ui-run): exit $stack_rc after $(($(date +%s) - start)) s"
cat "$log"
rm -f "$log"
if ((clients != 0 || stack_rc != 0)); then
  echo "== make test FAILED (client lane $clients, stack lane $stack_rc)"
  exit 1
fi
echo "== make test passed in $(($(date +%s) - start)) s"
