#!/usr/bin/env bash
# destroy.sh: deletes Orrery's CDK stack. The DynamoDB table, the S3 bucket and
# the SSM secret-key parameter are KEPT (RemovalPolicy RETAIN) unless
# DESTROY_DATA=1, which deletes them after the stack (every run, flow,
# block document and stored result is then gone for good).
# Environment: STACK (default Orrery), SECRET_KEY_PARAMETER, DESTROY_DATA=1, FORCE=1 (no prompt),
# TABLE / BUCKET (names of data kept by an earlier destroy, when the stack is already gone).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

stack=${STACK:-Orrery}
param=${SECRET_KEY_PARAMETER:-/orrery/$stack/secret-key}

go build -C infra -o ../bin/stackctl ./cmd/stackctl
outputs=$(bin/stackctl outputs -stack "$stack" || true)
table=${TABLE:-$(printf '%s' "$outputs" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("TableName", ""))' 2>/dev/null || true)}
bucket=${BUCKET:-$(printf '%s' "$outputs" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("BucketName", ""))' 2>/dev/null || true)}

# cdk destroy synthesizes the app, which needs function code: stubs will do.
stub=$(mktemp -d)
trap 'rm -rf "$stub"' EXIT
for f in api scheduler; do mkdir -p "$stub/$f" && printf '#!/bin/sh\n' >"$stub/$f/bootstrap"; done

force=()
if [[ "${FORCE:-0}" == 1 ]]; then force=(--force); fi
bash scripts/cdk.sh destroy "$stack" -c "stackName=$stack" -c "assetDir=$stub" -c "secretKeyParameter=$param" "${force[@]}" "$@"

if [[ "${DESTROY_DATA:-0}" == 1 ]]; then
  echo "destroy: DESTROY_DATA=1: deleting the table ${table:-?}, the bucket ${bucket:-?} and the parameter $param" >&2
  bin/stackctl delete-data -table "$table" -bucket "$bucket" -parameter "$param"
else
  echo "destroy: KEPT (RemovalPolicy RETAIN): DynamoDB table ${table:-<unknown>}, S3 bucket ${bucket:-<unknown>}, SSM parameter $param."
  echo "destroy: they cost only storage; to delete them (irreversible):"
  echo "  make destroy STACK=$stack DESTROY_DATA=1 TABLE=${table:-<table>} BUCKET=${bucket:-<bucket>}"
fi
