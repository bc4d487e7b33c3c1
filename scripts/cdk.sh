#!/usr/bin/env bash
# Runs the pinned AWS CDK CLI (infra/package.json) from the repository root,
# installing it with `npm ci` when missing. Offline-friendly: no version
# check, no telemetry, no notices. Usage: scripts/cdk.sh synth -q
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cli="$root/infra/node_modules/.bin/cdk"
if [[ ! -x "$cli" || "$root/infra/package-lock.json" -nt "$root/infra/node_modules/.package-lock.json" ]]; then
  (cd "$root/infra" && npm ci --no-audit --no-fund --loglevel=error)
fi
export CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
cd "$root"
exec "$cli" "$@" --no-notices
