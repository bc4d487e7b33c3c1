#!/usr/bin/env bash
# install-rie.sh: installs the AWS Lambda Runtime Interface Emulator into
# .cache/bin/aws-lambda-rie from the Go module proxy, at a pinned
# pseudo-version (the module has no tags). Idempotent: does nothing when the
# installed binary was built from that version.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
VERSION=v0.0.0-20261030222936-bef5c4ba774d
BIN="${ROOT}/.cache/bin/aws-lambda-rie"
if [[ -x "${BIN}" ]] && go version -m "${BIN}" 2>/dev/null | grep -q "mod[[:space:]]*${MODULE}[[:space:]]*${VERSION}"; then
  exit 0
fi
mkdir -p "${ROOT}/.cache/bin"
GOBIN="${ROOT}/.cache/bin" CGO_ENABLED=0 go install "${MODULE}/cmd/aws-lambda-rie@${VERSION}"
echo "install-rie: ${BIN} (${VERSION})" >&2
