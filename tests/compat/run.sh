#!/usr/bin/env bash
# Runs the compat suite: Orrery by default (ORRERY_BIN, default bin/orrery),
# the real Prefect 2.7.12 server with COMPAT_TARGET=prefect.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/setup.sh"
cd "$here"
exec "$here/.venv/bin/python" -m pytest "$@"
