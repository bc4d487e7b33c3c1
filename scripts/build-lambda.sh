#!/usr/bin/env bash
# build-lambda.sh ARCH DIR: builds the two Lambda functions for linux/ARCH
# (arm64 or x86_64) into DIR/{api,scheduler}/bootstrap, with the flags of
# `make lambda` (which builds arm64 into bin/lambda). Used for the x86_64
# code that emulators run on x86 hosts.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
arch=${1:?usage: build-lambda.sh arm64|x86_64 DIR}
dir=${2:?usage: build-lambda.sh arm64|x86_64 DIR}
case "$arch" in
  arm64) goarch=arm64 ;;
  x86_64) goarch=amd64 ;;
  *) echo "build-lambda: ARCH must be arm64 or x86_64, got $arch" >&2; exit 2 ;;
esac
cd "$root"
for f in api scheduler; do
  GOOS=linux GOARCH=$goarch CGO_ENABLED=0 go build -trimpath -tags lambda.norpc -ldflags "-s -w" \
    -o "$dir/$f/bootstrap" "./functions/$f"
done
