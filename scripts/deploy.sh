#!/usr/bin/env bash
# deploy.sh: deploys Orrery's CDK stack to the AWS account and region of the
# current credentials (or to an emulator when AWS_ENDPOINT_URL is set).
#   1. builds the two functions (`make lambda`, linux/arm64; ARCH=x86_64 builds linux/amd64),
#   2. creates the SSM SecureString holding ORRERY_SECRET_KEY once, if missing,
#   3. runs `cdk deploy` with the pinned CLI and writes the outputs to cdk.out/outputs.json.
# Environment: STACK (default Orrery), ARCH (arm64|x86_64), ASSET_DIR, SECRET_KEY_PARAMETER,
# REQUIRE_APPROVAL (default broadening; never for unattended runs), DESTROY_DATA=1 (deploy
# with deletable table and bucket, for throwaway stacks), CDK_OUT (default cdk.out).
# Extra arguments go to cdk deploy.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

stack=${STACK:-Orrery}
arch=${ARCH:-arm64}
param=${SECRET_KEY_PARAMETER:-/orrery/$stack/secret-key}
out=${CDK_OUT:-cdk.out}

case "$arch" in
  arm64)
    asset_dir=${ASSET_DIR:-bin/lambda}
    if [[ -z "${ASSET_DIR:-}" ]]; then make --no-print-directory lambda; fi
    ;;
  x86_64)
    asset_dir=${ASSET_DIR:-bin/lambda-x86_64}
    if [[ -z "${ASSET_DIR:-}" ]]; then bash scripts/build-lambda.sh x86_64 "$asset_dir"; fi
    ;;
  *) echo "deploy: ARCH must be arm64 or x86_64, got $arch" >&2; exit 2 ;;
esac

go build -C infra -o ../bin/stackctl ./cmd/stackctl
bin/stackctl ensure-secret -name "$param"

context=(-c "stackName=$stack" -c "arch=$arch" -c "assetDir=$asset_dir" -c "secretKeyParameter=$param")
if [[ "${DESTROY_DATA:-0}" == 1 ]]; then
  context+=(-c destroyData=true)
  echo "deploy: DESTROY_DATA=1: the table and bucket will be deleted with the stack" >&2
fi
bash scripts/cdk.sh deploy "$stack" "${context[@]}" --output "$out" \
  --require-approval "${REQUIRE_APPROVAL:-broadening}" --outputs-file "$out/outputs.json" "$@"

echo
echo "Next: create the first API key (needs these AWS credentials), then point clients at the API:"
echo "  the FirstKeyCommand and ApiUrl outputs above (also in $out/outputs.json)"
echo "  export PREFECT_API_URL=<ApiUrl> PREFECT_API_KEY=<the key>"
