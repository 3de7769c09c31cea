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

.PHONY: all build run test fmt-check vet staticcheck unit e2e-netns clean proxy-check

all: build

build: $(BIN)

$(BIN): FORCE
	@mkdir -p bin
	$(GO) build -o $(BIN) ./cmd/repolink

FORCE:

## run: build, then provision REQUEST on the local sandbox
run: build
	./$(BIN) run --sandbox --state-dir $(STATE_DIR) $(REQUEST)

## test: gofmt check, go vet, staticcheck, and every test
test: fmt-check vet staticcheck unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^infra/')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

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
