#!/usr/bin/env bash
# Creates tests/compat/.venv with the pinned Prefect 2.7.12 client and pytest.
# Dependencies are resolved as of Prefect 2.7.12's release (newer pydantic 2,
# SQLAlchemy 2, griffe 1, pendulum 3, anyio 4 break it) and locked in
# requirements.lock. Idempotent: skips when the venv matches the lock.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/.venv"
stamp="$venv/.lock.sha256"
want=$(sha256sum "$here/requirements.lock" | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/prefect" ]]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "uv==0.5.31"
"$venv/bin/uv" pip install --quiet --python "$venv/bin/python" -r "$here/requirements.lock"
"$venv/bin/python" -c "import prefect; assert prefect.__version__ == '2.7.12', prefect.__version__"
echo "$want" > "$stamp"
echo "compat venv ready: $venv"
