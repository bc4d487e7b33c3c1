#!/usr/bin/env bash
# deploy.sh: deploys Orrery's stack to LocalStack (see README.md: needs
# Docker and a LocalStack plan with HTTP APIs) with cdklocal: bootstrap,
# the secret-key parameter, then cdk deploy with host-architecture
# functions. Outputs and the deployed functions go to localstack/.out/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
localstack_up

assets="$root/bin/lambda-$arch"
bash "$root/scripts/build-lambda.sh" "$arch" "$assets"

context=(-c "stackName=$stack" -c "arch=$arch" -c "assetDir=$assets" -c "secretKeyParameter=$param" -c destroyData=true)
cdklocal bootstrap "aws://000000000000/$AWS_REGION" "${context[@]}" --output "$out/cdk.out"
stackctl ensure-secret -name "$param"
cdklocal deploy "$stack" "${context[@]}" --output "$out/cdk.out" --require-approval never \
  --outputs-file "$out/outputs.json"
stackctl functions -stack "$stack" -cdk-out "$out/cdk.out" -out "$out/deployed.json"
echo "deployed $stack to LocalStack: $out/outputs.json, $out/deployed.json"
