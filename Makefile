# Orrery — run `make` for the list of targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := bin/orrery
GO_TEST_FLAGS ?= -race -count=1

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

.PHONY: build
build: ## Build bin/orrery
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/orrery

.PHONY: lambda
lambda: ## Build the Lambda functions for linux/arm64 (bin/lambda/{api,scheduler}/bootstrap)
	for f in api scheduler; do \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -tags lambda.norpc -ldflags "$(LDFLAGS)" -o bin/lambda/$$f/bootstrap ./functions/$$f || exit 1; \
	done

.PHONY: web
web: ## Rebuild the UI into web/dist (npm ci, API types from the OpenAPI document, vite build); commit web/dist with the source
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run gen:api && npm run build

.PHONY: run
run: build ## Start the server on 127.0.0.1:4200 with SQLite at ~/.orrery/orrery.db
	$(BIN) server start

.PHONY: test
test: build ## Run every test: Go (race); the stock client on SQLite; schemathesis on the OpenAPI documents; the stock client through the Lambda shape (RIE + moto, API keys); CDK template tests + synth; cdk deploy to moto; shellcheck; benchmark smoke; the UI in Chromium (Playwright) and the stock 2.7.12 UI on the same API
	bash scripts/test-lanes.sh

.PHONY: test-go
test-go: ## Go unit, conformance and API tests with the race detector (starts PostgreSQL and moto's DynamoDB)
	bash scripts/with-backends.sh go test $(GO_TEST_FLAGS) ./...

.PHONY: backends
backends: ## Install the test backends: Debian postgresql, moto's DynamoDB emulator (in .cache/)
	bash scripts/with-backends.sh --install

.PHONY: compat
compat: build ## The stock Prefect 2.7.12 client and CLI against Orrery (pytest)
	ORRERY_BIN=$(CURDIR)/$(BIN) bash tests/compat/run.sh

.PHONY: test-schema
test-schema: build ## Schema fuzzing: schemathesis against bin/orrery with Orrery's OpenAPI document (all checks) and with prefect 2.7.12's (no server errors)
	ORRERY_BIN=$(CURDIR)/$(BIN) bash tests/schema/run.sh

.PHONY: test-ui
test-ui: build test-ui-run ## Browser tests: rebuild web/ and fail if it differs from the committed web/dist, then Playwright + Debian chromium against bin/orrery on a seeded SQLite database, and the stock Prefect 2.7.12 UI against the same API

.PHONY: test-ui-run
test-ui-run: ## test-ui without building bin/orrery (make test's lanes build it once, first)
	bash tests/ui/check-dist.sh
	cd tests/ui && npm ci --no-audit --no-fund --loglevel=error
	cd tests/ui && ORRERY_BIN=$(CURDIR)/$(BIN) npx playwright test

.PHONY: ui-report
ui-report: build ## UI budgets (not timed tests): JS gzipped, time until the flow-runs page is usable on the seeded and on a 1M-run database -> docs/ui-budgets.md
	bash tests/ui/report.sh

.PHONY: compat-dynamodb
compat-dynamodb: build ## The compat suite with the server on DynamoDB (moto, a fresh table; make test runs the Lambda shape instead)
	bash scripts/with-backends.sh bash -c 'ORRERY_COMPAT_DATABASE_URL="dynamodb://{unique}?region=us-east-1&endpoint=$$ORRERY_TEST_DYNAMODB_ENDPOINT" ORRERY_BIN=$(CURDIR)/$(BIN) bash tests/compat/run.sh'

.PHONY: compat-postgres
compat-postgres: build ## The compat suite with Orrery on a throwaway PostgreSQL (not part of make test)
	bash scripts/with-backends.sh bash -c 'ORRERY_COMPAT_DATABASE_URL="$$ORRERY_TEST_POSTGRES_URL" ORRERY_BIN=$(CURDIR)/$(BIN) bash tests/compat/run.sh'

.PHONY: compat-reference
compat-reference: ## The same compat suite against the real Prefect 2.7.12 server
	COMPAT_TARGET=prefect bash tests/compat/run.sh

.PHONY: bench
bench: build ## Load benchmark: transitions/s, p50/p95/p99, RSS at 1/8/64 clients
	bash bench/run.sh

.PHONY: bench-smoke
bench-smoke: build ## A seconds-long run of the benchmark harness (part of make test)
	bash bench/run.sh --smoke

.PHONY: bench-cost
bench-cost: ## Serverless cost model: DynamoDB units, calls and CPU per transition and per idle tick (moto), priced at AWS list prices
	bash scripts/with-backends.sh go test -run '^$$' -bench . -benchtime 300x ./bench/serverless/

.PHONY: fuzz
fuzz: ## Run each fuzz target for 20s
	@for pkg_target in $$(go test -list 'Fuzz.*' ./... 2>/dev/null | awk '/^ok/ {pkg=$$2} /^Fuzz/ {print pkg":"$$1}'); do \
	  pkg=$${pkg_target%%:*}; target=$${pkg_target##*:}; \
	  echo "== $$pkg $$target"; go test -run '^$$' -fuzz "^$$target$$" -fuzztime 20s $$pkg || exit 1; \
	done

.PHONY: lint
lint: ## gofmt + go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...

.PHONY: clean
clean: ## Remove build outputs
	rm -rf bin

.PHONY: compat-lambda
compat-lambda: build ## The compat suite through the deployed shape: API Gateway stand-in -> functions under the Lambda RIE -> moto DynamoDB + S3, with API keys
	bash scripts/with-backends.sh bash tests/lambda/run.sh

# --- The serverless stack (infra/, cdk.json): see "Deploy to AWS" in the README ---
# The CDK module compiles once in ~5 min (~450 MB of module cache); its tests
# run without -race by default: the race build would compile the CDK a
# second time, and the stack code has no concurrency.
INFRA_ENV := CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
INFRA_TEST_FLAGS ?= -count=1

.PHONY: infra-deps
infra-deps: ## Install the pinned CDK CLI (npm ci in infra/)
	cd infra && npm ci --no-audit --no-fund --loglevel=error

.PHONY: synth
synth: lambda ## cdk synth of the stack (pinned CLI, offline) into cdk.out/
	bash scripts/cdk.sh synth -q

.PHONY: test-infra
test-infra: ## CDK template assertion tests + cdk synth (stub function code)
	cd infra && $(INFRA_ENV) go vet . ./cmd/... && $(INFRA_ENV) go test $(INFRA_TEST_FLAGS) . ./cmd/...
	@stub=$$(mktemp -d) && for f in api scheduler; do mkdir -p $$stub/$$f && printf '#!/bin/sh\n' >$$stub/$$f/bootstrap; done; \
	  echo "bash scripts/cdk.sh synth -q -c assetDir=$$stub -o $$stub/cdk.out"; \
	  bash scripts/cdk.sh synth -q -c assetDir=$$stub -o $$stub/cdk.out; rc=$$?; rm -rf $$stub; exit $$rc

.PHONY: bootstrap
bootstrap: lambda ## cdk bootstrap the current AWS account/region (once, before the first deploy)
	bash scripts/cdk.sh bootstrap

.PHONY: deploy
deploy: ## Deploy to the current AWS account/region (STACK=Orrery ARCH=arm64; creates the secret key once)
	bash scripts/deploy.sh

.PHONY: destroy
destroy: ## Delete the stack; the table, bucket and secret key are kept unless DESTROY_DATA=1
	bash scripts/destroy.sh

.PHONY: deploy-moto
deploy-moto: ## cdk deploy to moto, then the deployed code with its deployed environment under the Lambda RIE (health, 401, key, write, tick)
	CHECK=1 bash scripts/e2e-deploy-moto.sh

.PHONY: lint-scripts
lint-scripts: ## shellcheck localstack/*.sh and scripts/*.sh (Debian: apt-get install -y shellcheck)
	shellcheck -x -S warning localstack/*.sh scripts/*.sh tests/*/*.sh bench/*.sh .ci/run
