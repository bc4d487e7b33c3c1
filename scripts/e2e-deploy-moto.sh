#!/usr/bin/env bash
# e2e-deploy-moto.sh: `cdk deploy` of Orrery's stack to moto (CloudFormation,
# DynamoDB, S3, IAM, Lambda, Events, SSM), then writes what was deployed for
# each function — its environment, runtime, architecture and the directory
# of its code asset in the cloud assembly — to a JSON file, for running the
# deployed bootstraps under the Lambda Runtime Interface Emulator.
#
#   MOTO_ENDPOINT=http://127.0.0.1:PORT scripts/e2e-deploy-moto.sh [OUT.json]
#
# MOTO_ENDPOINT defaults to $ORRERY_TEST_DYNAMODB_ENDPOINT (scripts/with-backends.sh);
# with neither set, a moto is started for the run and stopped afterwards.
# The functions are built for the host architecture (x86_64 here) with
# `-c arch=...`, since the emulator runs them natively. OUT defaults to
# .cache/cdk-e2e/deployed.json; STACK defaults to OrreryE2E. With CHECK=1 the
# deployed code then runs under the emulator with its deployed environment
# (scripts/e2e-deploy-check.py: health, 401, a key, a write, a scheduler tick).
# moto skips AWS::ApiGatewayV2::*, S3 bucket policies and CloudWatch alarms,
# returns no stack outputs, never fires the rule and never runs the code.
# Since it skips the HTTP API, the scheduler's ORRERY_UI_URL (by default a
# Fn::GetAtt of the API's endpoint) is given as -c uiUrl.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

out_json=${1:-.cache/cdk-e2e/deployed.json}
stack=${STACK:-OrreryE2E}
endpoint=${MOTO_ENDPOINT:-${ORRERY_TEST_DYNAMODB_ENDPOINT:-}}
work=$(mktemp -d /tmp/orrery-e2e-deploy.XXXXXX)
cleanup() {
  if [[ -f "$work/moto/moto.pid" ]]; then bash scripts/moto-local.sh stop "$work/moto" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
if [[ -z "$endpoint" ]]; then
  bash scripts/moto-local.sh install
  endpoint=$(bash scripts/moto-local.sh start "$work/moto")
  endpoint=${endpoint#*=}
  echo "e2e-deploy: started moto at $endpoint for this run (stopped on exit)" >&2
fi
# The CDK CLI misreads template URLs on 127.0.0.1: use localhost.
export AWS_ENDPOINT_URL=${endpoint/127.0.0.1/localhost}
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_SESSION_TOKEN=
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_DEFAULT_REGION=$AWS_REGION
export CDK_HOME="$work/cdk-home"
mkdir -p "$CDK_HOME" "$(dirname "$out_json")"

case "$(uname -m)" in
  aarch64 | arm64) arch=arm64 ;;
  *) arch=x86_64 ;;
esac
account=${MOTO_ACCOUNT_ID:-123456789012}
cdk_out=.cache/cdk-e2e/cdk.out

start=$(date +%s)
if [[ "$arch" == arm64 ]]; then asset_dir=bin/lambda; else asset_dir=bin/lambda-x86_64; fi
if [[ "$arch" == arm64 ]]; then make --no-print-directory lambda; else bash scripts/build-lambda.sh "$arch" "$asset_dir"; fi
bash scripts/cdk.sh bootstrap "aws://$account/$AWS_REGION" --output "$cdk_out" \
  -c stackName="$stack" -c arch="$arch" -c assetDir="$asset_dir" >"$work/bootstrap.log" 2>&1 ||
  { cat "$work/bootstrap.log" >&2; exit 1; }
STACK=$stack ARCH=$arch ASSET_DIR=$asset_dir CDK_OUT=$cdk_out REQUIRE_APPROVAL=never \
  bash scripts/deploy.sh -c uiUrl=https://orrery-e2e.example >"$work/deploy.log" 2>&1 || { cat "$work/deploy.log" >&2; exit 1; }

bin/stackctl functions -stack "$stack" -cdk-out "$cdk_out" -out "$out_json"
echo "e2e-deploy: deployed $stack to moto at $AWS_ENDPOINT_URL in $(($(date +%s) - start))s; functions: $out_json" >&2

if [[ "${CHECK:-0}" == 1 ]]; then
  make --no-print-directory build >/dev/null
  bash tests/lambda/install-rie.sh
  python3 scripts/e2e-deploy-check.py "$out_json" "$AWS_ENDPOINT_URL"
fi
