#!/usr/bin/env bash
# report.sh (make ui-report): measures the UI's budgets with Playwright and
# writes docs/ui-budgets.md (tests/ui/report/budgets.spec.ts).
#
# The scale figure uses the database `make bench` builds for its scale
# scenario (bench/cmd/orrery-seed, BENCH_SCALE_RUNS runs, default 1M), from
# the same cache and with the same key as bench/run.sh, so either command
# reuses the other's. ORRERY_SCALE_DB=<file> uses a given database instead;
# ORRERY_SCALE_DB=none skips the scale figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
runs=${BENCH_SCALE_RUNS:-1000000}
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orrery-bench}
bin=${ORRERY_BIN:-$root/bin/orrery}
[[ -x $bin ]] || { echo "no orrery binary at $bin: run make build" >&2; exit 1; }

db=${ORRERY_SCALE_DB:-}
if [[ -z $db ]]; then
  # The key of bench/run.sh: everything that shapes the seeded rows.
  key=$(cat internal/store/sqlite/migrations/*.sql bench/cmd/orrery-seed/main.go internal/core/*.go internal/orchestration/*.go \
    | sha256sum | cut -c1-16)
  db=$cache/orrery-$runs-$key.db
  if [[ ! -f $db ]]; then
    mkdir -p "$cache"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    CGO_ENABLED=0 go build -o "$tmp/orrery-seed" ./bench/cmd/orrery-seed
    echo "== seeding $runs flow runs into $db (minutes; cached for make bench and later reports)"
    start=$(date +%s)
    timeout 3600 "$tmp/orrery-seed" -db "$db.tmp" -runs "$runs"
    mv "$db.tmp" "$db"; rm -f "$db.tmp"-*
    echo "== seeded in $(($(date +%s) - start)) s"
  fi
fi
if [[ $db == none ]]; then unset ORRERY_SCALE_DB; else export ORRERY_SCALE_DB=$db; fi

cd tests/ui
npm ci --no-audit --no-fund --loglevel=error
ORRERY_BIN=$bin npx playwright test --config playwright.report.config.ts
echo "== wrote docs/ui-budgets.md"
