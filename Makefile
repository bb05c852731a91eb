# summarizer: make demo runs the whole job locally, make test runs every test.
GO      ?= go
BIN     := bin/summarizer
VENV    := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: all build test chaos vet fmt-check moto promtool demo bench microbench memorybench fuzz clean

all: build

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/summarizer

# moto: make sure a moto server (S3, SQS, SNS) is on this machine; install it
# into .venv with pip when it is not.
moto:
	@if command -v moto_server >/dev/null 2>&1 || python3 -c 'import moto.server' >/dev/null 2>&1; then \
		echo "moto server: $$(command -v moto_server || echo 'python3 -m moto.server')"; \
	else \
		echo "installing moto[server] into $(VENV)"; \
		python3 -m venv $(VENV) && $(VENV)/bin/pip install --quiet "moto[server]>=5,<6"; \
	fi

# promtool: make sure promtool and prometheus (Debian's prometheus package)
# are on this machine, for the rule tests and the Prometheus integration
# test of deploy/; install them with apt-get when missing (as root, or with
# password-less sudo). Under CI=true a failed install fails; elsewhere those
# tests skip with a message.
promtool:
	@if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then \
		echo "promtool: $$(command -v promtool), prometheus: $$(command -v prometheus)"; \
	else \
		if [ "$$(id -u)" = 0 ]; then sudo=; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=none; fi; \
		if [ "$$sudo" != none ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing promtool and prometheus (apt-get install prometheus)"; \
			$$sudo apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
		fi; \
		if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then \
			if [ "$$CI" = true ]; then \
				echo "FAIL: promtool and prometheus are required under CI=true (apt-get install prometheus)"; exit 1; \
			fi; \
			echo "promtool/prometheus missing and not installable here: the Prometheus tests of deploy/ will skip (apt-get install prometheus)"; \
		fi; \
	fi

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# test: vet, gofmt, every test (unit, fuzz seed corpora, integration against
# a real moto server, Prometheus rules with promtool and a real Prometheus)
# with the race detector, then the chaos suite.
test: moto promtool vet fmt-check
	$(GO) test -race -count=1 -timeout 15m ./...
	$(MAKE) --no-print-directory chaos

# chaos: kill -9 mid-run, moto restarts, RunPod faults, poison messages,
# interrupted replays, secrets in logs.
chaos: moto
	$(GO) test -race -count=1 -tags chaos -run Chaos -timeout 25m ./cmd/summarizer/

# demo: local S3 + SQS (moto), the RunPod emulator and the worker; uploads
# testdata/transcripts and prints each summary as it lands.
demo: moto build
	$(GO) run ./cmd/demo --bin $(BIN)

# bench: the worker as a separate process against moto and the RunPod
# emulator, under open-loop arrivals at 0.5-1.0 x C/L beside the seed design
# (added latency, backlog, requests per message), throughput against
# concurrency, 5,000 jobs in flight (RSS, CPU) and the idle cost; about 13
# minutes. Then the micro-benchmarks. Results in bench/results.json and
# bench/*.png. BENCH_FLAGS=--quick: under three minutes.
BENCH_FLAGS ?=
bench: moto build
	$(GO) run ./cmd/bench --bin $(BIN) $(BENCH_FLAGS)
	$(MAKE) --no-print-directory microbench
	$(MAKE) --no-print-directory memorybench

# memorybench: twelve 19 MiB worst-case Transcribe uploads at once against
# the worker at default settings; reports its peak RSS (VmHWM from /proc).
memorybench: moto
	$(GO) test -run '^$$' -bench HostileUploadsRSS -benchtime 1x -timeout 15m ./cmd/summarizer/

microbench:
	$(GO) test -run '^$$' -bench . -benchmem ./worker/...

clean:
	rm -rf bin
