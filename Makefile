# repolink build, run and test targets. Everything builds with the Go
# toolchain alone; modules download on first use.

GO        ?= go
BIN       := bin/repolink
REQUEST   ?= examples/aws-privatelink.json
STATE_DIR ?= .repolink
STATICCHECK_VERSION := v0.8.2
TOOLS     := $(CURDIR)/.tools

# The sandbox and the tests reach nothing beyond 127.0.0.1; keep the clients
# from probing cloud metadata addresses.
export SNOWFLAKE_DISABLE_PLATFORM_DETECTION := true
export AWS_EC2_METADATA_DISABLED := true

.PHONY: all build run test fmt-check vet cross-vet staticcheck unit e2e-netns clean proxy-check synth infra-test

all: build

build: $(BIN)

$(BIN): FORCE
	@mkdir -p bin
	$(GO) build -o $(BIN) ./cmd/repolink

FORCE:

## run: build, then provision REQUEST on the local sandbox
run: build
	./$(BIN) run --sandbox --state-dir $(STATE_DIR) $(REQUEST)

## test: gofmt check, go vet (also for Windows and macOS), staticcheck, and
## every test
test: fmt-check vet cross-vet staticcheck asl-validate unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^infra/')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# The repolink command and the shared packages must build on Windows, and
# the whole module on macOS. internal/reliability, which cmd/reliability
# uses, calls Unix process-group system calls and does not build on
# Windows. vet type-checks every file of the target system, tests
# included, and links nothing, so it reuses the build cache of make vet.
## cross-vet: go vet of cmd/repolink and shared/ for Windows, and of every
## package for macOS
cross-vet:
	GOOS=windows $(GO) vet ./cmd/repolink ./shared/...
	GOOS=darwin $(GO) vet ./...

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(TOOLS)/staticcheck
	$(TOOLS)/staticcheck ./...

unit:
	$(GO) test -count=1 ./...

## e2e-netns: the end-to-end tests in a network namespace with only loopback
e2e-netns:
	unshare -n sh -c 'ip link set lo up && $(GO) test -count=1 -run TestEndToEnd ./cmd/repolink/'

clean:
	rm -rf bin $(TOOLS)

## proxy-check: run every shipped proxy config through the local nginx and pip
proxy-check:
	$(GO) run ./cmd/proxycheck

# The AWS CDK app in infra/ is its own Go module, so `go test ./...` above
# leaves it out. jsii runs the CDK in Node; the first synth in a process
# takes seconds and about 1 GB of memory, the first build about a minute.
# Placeholder account and region keep synth free of AWS credentials.
CDK_ACCOUNT ?= 123456789012
CDK_REGION  ?= us-east-1
# The architecture of the deployed functions (infra/functions.go), whose
# bootstrap the stack packages from bin/lambda/<arch>/bootstrap.
INFRA_LAMBDA_ARCH := arm64
INFRA_ENV   := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 \
	CDK_DISABLE_CLI_TELEMETRY=true \
	CDK_DEFAULT_ACCOUNT=$(CDK_ACCOUNT) CDK_DEFAULT_REGION=$(CDK_REGION)

## synth: build bin/lambda/$(INFRA_LAMBDA_ARCH)/bootstrap as make lambda does,
## then write the CloudFormation template to infra/cdk.out
synth: bin/lambda/$(INFRA_LAMBDA_ARCH)/bootstrap
	cd infra && env $(INFRA_ENV) $(GO) run .

## infra-test: gofmt check, go vet, staticcheck and the CDK stack tests of
## infra/, with a stand-in bootstrap
infra-test: $(TOOLS)/staticcheck
	@out=$$(gofmt -l infra); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	cd infra && env $(INFRA_ENV) $(GO) vet ./...
	cd infra && env $(INFRA_ENV) $(TOOLS)/staticcheck ./...
	cd infra && env $(INFRA_ENV) $(GO) test -count=1 ./...

.PHONY: asl-validate

# Node tools for the ASL checks live in .tools/node, installed from npm on
# first use. asl-validator runs on the system Node.
NPM        ?= npm
NODE       ?= node
NODE_TOOLS := $(TOOLS)/node
ASL_VALIDATOR_VERSION := 4.0.0
NPM_INSTALL := $(NPM) install --prefix $(NODE_TOOLS) --save-exact --no-audit --no-fund --loglevel=error

$(NODE_TOOLS)/.asl-validator-$(ASL_VALIDATOR_VERSION):
	$(NPM_INSTALL) asl-validator@$(ASL_VALIDATOR_VERSION)
	@touch $@

# dynalite is a local DynamoDB for the tests of the AWS stores
# (shared/cloud/aws/dynamo/dynamotest), which skip without it.
DYNALITE_VERSION := 4.0.0

$(NODE_TOOLS)/.dynalite-$(DYNALITE_VERSION):
	$(NPM_INSTALL) dynalite@$(DYNALITE_VERSION)
	@touch $@

unit: $(NODE_TOOLS)/.dynalite-$(DYNALITE_VERSION)

## asl-validate: check every statemachines/*.asl.json with asl-validator
asl-validate: $(NODE_TOOLS)/.asl-validator-$(ASL_VALIDATOR_VERSION)
	$(NODE) tools/asl-validate.cjs $(NODE_TOOLS)/node_modules statemachines/*.asl.json

.PHONY: conformance

# aws-local-stepfunctions 3 needs Node 22 or later; the npm package "node"
# brings that binary, so the system Node can stay at 20.
LOCAL_SFN_VERSION := 3.0.0
NODE22_VERSION    := 22.23.3
NODE22            := $(NODE_TOOLS)/node_modules/node/bin/node
PEER_STAMP        := $(NODE_TOOLS)/.aws-local-stepfunctions-$(LOCAL_SFN_VERSION)-node-$(NODE22_VERSION)
CONFORMANCE_CASES := shared/engine/testdata/conformance

$(PEER_STAMP):
	$(NPM_INSTALL) aws-local-stepfunctions@$(LOCAL_SFN_VERSION) node@$(NODE22_VERSION)
	@touch $@

## conformance: run every case in shared/engine/testdata/conformance on the
## embedded engine (go test) and on aws-local-stepfunctions; the last line
## is "N passed, N failed"
conformance: $(PEER_STAMP)
	@rm -f $(TOOLS)/conformance-engine.json
	@$(GO) test -count=1 -run '^TestConformance$$' ./shared/engine/ \
		-args -conformance.report=$(TOOLS)/conformance-engine.json > $(TOOLS)/conformance-go.log 2>&1 \
		|| echo "go test of the engine failed: see $(TOOLS)/conformance-go.log"
	@$(NODE22) tools/conformance/run.mjs --modules $(NODE_TOOLS)/node_modules \
		--cases $(CONFORMANCE_CASES) --engine-report $(TOOLS)/conformance-engine.json

.PHONY: bench

## bench: measure the engine against aws-local-stepfunctions, the memory
## of 1,000 token waits, Snowflake queries per poll, state transitions and
## times of sandbox provision runs, and the Lambda bootstrap; writes
## docs/benchmarks.md and prints the headline ratios
bench: $(PEER_STAMP) build lambda
	@$(GO) run ./cmd/benchengine report -node $(NODE22) -modules $(NODE_TOOLS)/node_modules \
		-machine tools/bench/machine.asl.json -loop tools/bench/polling-loop.asl.json \
		-repolink $(BIN) -lambda bin/lambda -go $(GO) -out docs/benchmarks.md

# The Lambda bootstrap for the provided.al2023 runtime, one per
# architecture. lambda.norpc drops the legacy go1.x RPC server, and
# minicore_disabled leaves out the Snowflake driver's native helper library,
# which a binary built without cgo cannot load anyway.
LAMBDA_ARCHS ?= arm64 amd64

.PHONY: lambda
## lambda: build bin/lambda/<arch>/bootstrap for each of LAMBDA_ARCHS
lambda: $(foreach arch,$(LAMBDA_ARCHS),bin/lambda/$(arch)/bootstrap)
	@ls -l $^

# The one recipe for a bootstrap, which make lambda and make synth share.
bin/lambda/%/bootstrap: FORCE
	@mkdir -p $(@D)
	CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -tags lambda.norpc,minicore_disabled \
		-trimpath -ldflags "-s -w" -o $@ ./functions/lambda

.PHONY: reliability

# Extra flags for cmd/reliability, such as -seed N to repeat a run's random
# choices or -suites faults,sql to run some suites only.
RELIABILITY_FLAGS ?=

## reliability: kill -9 trials, fault injection, webhook load, SQL safety, a
## secret scan and the fuzz targets, all on the local sandbox; each suite has
## its own time budget, the whole run takes at most 20 minutes on 2 cores,
## and the last line is "N passed, N failed". Neither make test nor CI runs
## it; docs/reliability.md describes the suites.
reliability: build
	@$(GO) run ./cmd/reliability -go $(GO) -bin $(BIN) -work $(STATE_DIR)/reliability $(RELIABILITY_FLAGS)
