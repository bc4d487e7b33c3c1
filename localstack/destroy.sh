#!/usr/bin/env bash
# destroy.sh: deletes the LocalStack deployment with everything in it (the
# LocalStack stack is deployed with destroyData=true), and the secret-key
# parameter. Stop LocalStack itself with
#   docker compose -f localstack/docker-compose.yml down
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
localstack_up

stub=$(mktemp -d)
trap 'rm -rf "$stub"' EXIT
for f in api scheduler; do mkdir -p "$stub/$f" && printf '#!/bin/sh\n' >"$stub/$f/bootstrap"; done
cdklocal destroy "$stack" -c "stackName=$stack" -c "arch=$arch" -c "assetDir=$stub" -c "secretKeyParameter=$param" \
  -c destroyData=true --output "$stub/cdk.out" --force
stackctl delete-data -parameter "$param"
rm -rf "$out"
