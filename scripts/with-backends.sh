#!/usr/bin/env bash
# with-backends.sh CMD...: runs CMD with a throwaway PostgreSQL cluster and a
# moto DynamoDB emulator on loopback ports, exporting
#   ORRERY_TEST_POSTGRES_URL, ORRERY_TEST_DYNAMODB_ENDPOINT and
#   ORRERY_REQUIRE_BACKENDS=1 (so backend suites fail instead of skipping),
# and stops both afterwards, whatever CMD's outcome. `make test` runs the Go
# tests through it; install both first with `scripts/with-backends.sh --install`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ "${1:-}" == "--install" ]]; then
  bash "$here/postgres-local.sh" install
  bash "$here/moto-local.sh" install
  exit 0
fi
tmp=$(mktemp -d /tmp/orrery-backends.XXXXXX)
chmod 755 "$tmp"
cleanup() {
  bash "$here/postgres-local.sh" stop "$tmp/pg" || true
  bash "$here/moto-local.sh" stop "$tmp/moto" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
pg=$(bash "$here/postgres-local.sh" start "$tmp/pg")
moto=$(bash "$here/moto-local.sh" start "$tmp/moto")
# Each is a NAME=value line printed by its start command.
export "${pg?}" "${moto?}"
export ORRERY_REQUIRE_BACKENDS=1
echo "backends: $ORRERY_TEST_POSTGRES_URL $ORRERY_TEST_DYNAMODB_ENDPOINT" >&2
"$@"
