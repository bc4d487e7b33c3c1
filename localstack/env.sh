#!/usr/bin/env bash
# env.sh: sourced by the other localstack/ scripts. Points the AWS SDKs,
# cdklocal and stackctl at LocalStack on localhost:4566, with dummy
# credentials and a CDK_HOME of its own (so no real AWS profile or CDK
# cache is used by mistake).
# shellcheck disable=SC2034 # variables are used by the scripts that source this file
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here="$root/localstack"
edge=${LOCALSTACK_ENDPOINT:-http://localhost:4566}
export AWS_ENDPOINT_URL=$edge
# cdklocal needs an S3 endpoint with ".s3." in it to detect S3 requests.
export AWS_ENDPOINT_URL_S3=${AWS_ENDPOINT_URL_S3:-http://s3.localhost.localstack.cloud:4566}
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_DEFAULT_REGION=$AWS_REGION
export AWS_ENVAR_ALLOWLIST=AWS_REGION,AWS_DEFAULT_REGION
export CDK_HOME="$here/.cdk-home"
export CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}
stack=${STACK:-OrreryLocal}
param=/orrery/$stack/secret-key
out="$here/.out"
mkdir -p "$CDK_HOME" "$out"

# LocalStack runs the functions in Docker containers of the host's
# architecture.
case "$(uname -m)" in
  aarch64 | arm64) arch=arm64 ;;
  *) arch=x86_64 ;;
esac

cdklocal() {
  if [[ ! -x "$here/node_modules/.bin/cdklocal" || "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  (cd "$root" && PATH="$here/node_modules/.bin:$PATH" cdklocal "$@" --no-notices)
}

# awslocal: LocalStack's wrapper of the aws CLI v1, pinned, in localstack/.venv.
awslocal() {
  if [[ ! -x "$here/.venv/bin/awslocal" ]]; then
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install --quiet --disable-pip-version-check "awscli-local==0.23.0" "awscli==1.46.3"
  fi
  "$here/.venv/bin/awslocal" "$@"
}

stackctl() {
  go build -C "$root/infra" -o "$root/bin/stackctl" ./cmd/stackctl
  "$root/bin/stackctl" "$@"
}

# localstack_up fails unless LocalStack answers on the edge port.
localstack_up() {
  curl -fsS "$edge/_localstack/health" >/dev/null ||
    { echo "LocalStack is not answering at $edge: docker compose -f localstack/docker-compose.yml up -d" >&2; return 1; }
}
