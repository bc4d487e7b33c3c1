#!/usr/bin/env bash
# Creates tests/schema/.venv with the pinned schemathesis (requirements.lock,
# compiled from requirements.in with uv). Its own venv: schemathesis 4 needs
# pytest 8+, anyio 4 and requests 2.32+, which the Prefect 2.7.12 pins in
# tests/compat cannot take. Idempotent: skips when the venv matches the lock.
# Python 3.12 when present: 3.11's ast module is not thread-safe, and
# hypothesis parses sources from schemathesis' worker threads ("AST
# constructor recursion depth mismatch" errors with --workers 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/.venv"
stamp="$venv/.lock.sha256"
python=python3
for p in python3.13 python3.12; do
  if "$p" --version >/dev/null 2>&1; then
    python=$p
    break
  fi
done
want="$(sha256sum "$here/requirements.lock" | cut -d' ' -f1) $("$python" --version)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/st" ]]; then
  exit 0
fi
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "uv==0.5.31"
"$venv/bin/uv" pip install --quiet --python "$venv/bin/python" -r "$here/requirements.lock"
"$venv/bin/st" --version
echo "$want" >"$stamp"
echo "schema venv ready: $venv"
