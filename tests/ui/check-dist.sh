#!/usr/bin/env bash
# check-dist.sh: builds web/ (npm ci, type check, vite build) into a
# temporary directory and fails if the result differs from the committed
# web/dist, which `go build` embeds. web/dist itself is never rewritten
# here, so Go tests that compile the embedded files while this runs (make
# test's other lane) never see it half-written.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root/web"
npm ci --no-audit --no-fund --loglevel=error
npx tsc --noEmit
npx vite build --outDir "$tmp/dist" --emptyOutDir --logLevel warn
if ! diff -r "$tmp/dist" "$root/web/dist"; then
  echo "web/dist differs from a fresh build of web/ (above): run \`make web\` and commit web/dist" >&2
  exit 1
fi
echo "web/dist matches a fresh build of web/ ($(find "$tmp/dist" -type f | wc -l) files)"
