#!/usr/bin/env bash
# Refreshes the vendored ReDoc bundle served at /redoc (from the npm package
# "redoc"; no Go module ships it). Usage: scripts/update-redoc.sh [version]
set -euo pipefail
version=${1:-2.5.4}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
(cd "$dir" && npm pack "redoc@$version" >/dev/null && tar xzf redoc-*.tgz)
dest=$(dirname "$0")/../internal/docs/assets
cp "$dir/package/bundles/redoc.standalone.js" "$dest/redoc.standalone.js"
cp "$dir/package/LICENSE" "$dest/redoc.LICENSE"
echo "redoc $version -> $dest"
