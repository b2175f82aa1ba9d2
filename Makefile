# Kumeo build entry points.
#
#   make run    install what the desktop app needs, build it, open an example
#   make test   Go vet + unit tests, frontend unit tests, browser end-to-end
#               tests, then a smoke test of the real desktop app under Xvfb
#
# Every step checks what is already there and skips it, so running a target
# twice is cheap. System packages are installed with apt (Debian/Ubuntu).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

WAILS_VERSION := v2.16.0
WAILS_TAGS    := webkit2_41
GOBIN_DIR     := $(or $(shell go env GOBIN),$(shell go env GOPATH)/bin)
WAILS         := $(GOBIN_DIR)/wails

DESKTOP_BIN := build/bin/kumeo-desktop
CLI_BIN     := bin/kumeo
WORKFLOW    ?= examples/card_screening.kumeo
# make run starts the workflow on the embedded engine and feeds it this file.
INPUT       ?= examples/data/card_payments.jsonl
RUN_ARGS    := --run $(if $(INPUT),--input $(INPUT))
XVFB_SCREEN ?= 1280x900x24

DESKTOP_PKGS := libwebkit2gtk-4.1-dev pkg-config
XVFB_PKGS    := xvfb xauth
BROWSER_PKGS := chromium
SCREENSHOT_PKGS := imagemagick

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT  := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600

# npm writes this file on every install: it is the stamp for "node_modules
# matches package-lock.json".
NODE_STAMP := frontend/node_modules/.package-lock.json

# Inputs of the desktop binary, so `make run` only rebuilds after a change.
DESKTOP_SRCS := go.mod go.sum wails.json $(wildcard build/appicon.png) \
	$(shell find . -name '*.go' -not -path './frontend/*' -not -name '*_test.go' 2>/dev/null) \
	$(shell find frontend/src -type f 2>/dev/null) \
	frontend/index.html frontend/vite.config.ts frontend/svelte.config.js \
	frontend/tsconfig.json frontend/package-lock.json

.PHONY: help run build cli image test test-go test-frontend test-e2e test-desktop browser-deps bench \
	desktop-deps xvfb-deps screenshot-deps wails-cli frontend-deps clean

help:
	@echo "make run     build the desktop app, open $(WORKFLOW) and run it on $(INPUT)"
	@echo "make test    vet and unit-test Go and the frontend, browser and desktop smoke tests"
	@echo "make test-desktop  start the built app under Xvfb and check a screenshot ($(SMOKE_SHOT))"
	@echo "make build   build the desktop app ($(DESKTOP_BIN))"
	@echo "make cli     build the headless CLI ($(CLI_BIN), no cgo)"
	@echo "make image   build the runtime image into $(IMAGE_OUT) (IMAGE_PUSH=REPO[:TAG] also pushes it)"
	@echo "make bench   run the Go benchmarks, the deploy benchmark, then the UI benchmark (make bench-ui)"
	@echo "make k8s-test-bins  build the Kubernetes test control plane once per machine ($(K8S_BIN))"
	@echo "make clean   remove build outputs"

## ---- tests ---------------------------------------------------------------

test: test-go test-frontend test-e2e test-desktop

# The deploy tests run against a real control plane (internal/k8stest):
# etcd from Debian, kube-apiserver, kube-controller-manager and
# kube-scheduler built from tools/k8s, and kwok for the node and pods.
test-go: k8s-test-bins
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './frontend/node_modules/*'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	$(K8S_ENV) go test ./...

test-frontend: frontend-deps
	cd frontend && npm run check
	cd frontend && npm test

# Browser end-to-end tests: the built UI served by the Go harness with the
# real services, driven in Chromium; the Deploy panel's test deploys to the
# test control plane (see test-go).
test-e2e: frontend-deps browser-deps k8s-test-bins
	cd frontend && npm run build
	cd frontend && npm run e2e
	cd frontend && node --test --test-concurrency=1 e2e/big.test.mjs
	cd frontend && $(K8S_ENV) node --test --test-concurrency=1 e2e/deploy.test.mjs

# Desktop smoke test: the real binary runs $(SMOKE_WORKFLOW) on $(SMOKE_INPUT)
# under xvfb-run; internal/smoke takes screenshots until one shows the window
# with nodes, live metrics and the editor (or fails after $(SMOKE_TIMEOUT)), then
# stops the app and Xvfb. It prints the path of the screenshot it keeps.
SMOKE_BIN      := bin/smoke
SMOKE_SHOT     := build/smoke/desktop.png
SMOKE_SCREEN   := 1280x900x24
SMOKE_TIMEOUT  := 60s
SMOKE_WORKFLOW := examples/card_screening.kumeo
SMOKE_INPUT    := examples/data/card_payments.jsonl

test-desktop: build xvfb-deps screenshot-deps
	go build -o $(SMOKE_BIN) ./internal/smoke
	./$(SMOKE_BIN) -out $(SMOKE_SHOT) -screen $(SMOKE_SCREEN) -timeout $(SMOKE_TIMEOUT) -- \
		./$(DESKTOP_BIN) --run --input $(SMOKE_INPUT) $(SMOKE_WORKFLOW)

# bench: the language and engine micro benchmarks (100 ms each), the engine
# comparison, then the UI benchmark (bench-ui). The engine comparison ends
# with one JSON object (kumeo_eps, kumeo_durable_eps, kumeo_distributed_eps,
# baseline_nats_json_eps, node_red_eps, kumeo_p99_ms_light, ratios,
# p50/p99/RSS per variant). Pass
# options to the comparison with BENCH_FLAGS, e.g. BENCH_FLAGS="-repeat 3 -out bench.json"
# (bin/enginebench -h lists them). bench-ui prints its own JSON line last.
bench:
	@$(MAKE) --no-print-directory bench-micro
	@$(MAKE) --no-print-directory bench-engine
	@$(MAKE) --no-print-directory bench-deploy
	@$(MAKE) --no-print-directory bench-ui

.PHONY: bench-micro bench-engine bench-nodered bench-ui bench-deploy

# Deploy on the test cluster (internal/k8stest): render + server-side
# dry-run diff of a generated 50-agent workflow (target < 1 s) and a deploy
# of it until every agent is Available (target < 10 s), 5 rounds each.
bench-deploy: k8s-test-bins
	$(K8S_ENV) go test -run '^$$' -bench . -benchtime 5x -v ./deploy

bench-micro:
	go test -run '^$$' -bench . -benchtime 100ms ./dsl/... ./engine/...

# Kumeo local, durable and distributed (every agent a `kumeo agent` process
# of $(CLI_BIN), against a NATS server process) vs a Go + NATS baseline vs
# Node-RED 4.1.x on examples/fraud_bench.kumeo (installs Node-RED into
# .cache/node-red).
bench-engine:
	@go build -buildvcs=auto -o bin/enginebench ./bench/cmd/enginebench
	@CGO_ENABLED=0 go build -o $(CLI_BIN) ./cmd/kumeo
	@./bin/enginebench -kumeo-bin $(CLI_BIN) $(BENCH_FLAGS)

bench-nodered:
	@go run ./bench/cmd/enginebench -install-only

# The desktop UI in Chromium against the real Go services (the e2e harness):
# canvas edit and keystroke to screen on a generated 500-agent workflow,
# frames per second panning and dragging on a 2,000-agent one. Its last line
# is one JSON object (ui_edit_ms_p50/p95, ui_typing_ms_p50/p95, ui_pan_fps,
# ui_drag_fps, targets_met, ...); frontend/e2e/README.md explains the method.
# Options with BENCH_UI_FLAGS, e.g. BENCH_UI_FLAGS="--rounds 5 --json ui.json".
bench-ui: frontend-deps browser-deps
	cd frontend && npm run build
	@cd frontend && node e2e/bench.mjs $(BENCH_UI_FLAGS)

## ---- desktop app ---------------------------------------------------------

run: build
	@if [ -z "$${DISPLAY:-}" ] && [ -z "$${WAYLAND_DISPLAY:-}" ]; then \
		$(MAKE) --no-print-directory xvfb-deps; \
		echo "No DISPLAY: running Kumeo under a virtual X server (xvfb-run -a, screen $(XVFB_SCREEN)); the window is not visible."; \
		exec xvfb-run -a -s "-screen 0 $(XVFB_SCREEN)" ./$(DESKTOP_BIN) $(RUN_ARGS) $(WORKFLOW); \
	else \
		exec ./$(DESKTOP_BIN) $(RUN_ARGS) $(WORKFLOW); \
	fi

build: $(DESKTOP_BIN)

# -m: never let the build run `go mod tidy` on the shared go.mod.
$(DESKTOP_BIN): $(DESKTOP_SRCS) $(NODE_STAMP) | desktop-deps wails-cli
	@# node_modules matches the lock file; tell Wails so it does not reinstall.
	md5sum frontend/package.json | cut -c1-32 | tr -d '\n' > frontend/package.json.md5
	$(WAILS) build -m -tags $(WAILS_TAGS)
	@touch $@

cli:
	CGO_ENABLED=0 go build -o $(CLI_BIN) ./cmd/kumeo

# The runtime image the agent Deployments run, from the static CLI, without
# a container engine: an OCI layout in $(IMAGE_OUT), pushed to $(IMAGE_PUSH)
# when set (docker login credentials). IMAGE_VERSION labels it;
# SOURCE_DATE_EPOCH dates it (the Unix epoch by default); IMAGE_FLAGS adds
# flags, e.g. IMAGE_FLAGS="--extra lib/libonnxruntime.so.1:/usr/lib/libonnxruntime.so.1".
# Prints one reference by digest per output.
IMAGE_OUT     ?= build/image
IMAGE_PUSH    ?=
IMAGE_VERSION ?=
IMAGE_FLAGS   ?=

image: cli
	./$(CLI_BIN) image --binary $(CLI_BIN) --out $(IMAGE_OUT) \
		$(if $(IMAGE_PUSH),--push $(IMAGE_PUSH)) $(if $(IMAGE_VERSION),--version $(IMAGE_VERSION)) \
		--revision "$$(git rev-parse HEAD 2>/dev/null || true)" $(IMAGE_FLAGS)

## ---- tools and system packages -------------------------------------------

# The Kubernetes test binaries are built once per machine into a cache keyed
# by the tools module's go.mod and go.sum and the kwok version (a cold build
# takes 15-30 minutes on 2 cores, a warm one seconds). They are never part of
# the repository. KUMEO_K8S_BIN names the directory for the tests.
KWOK_VERSION := v0.8.0
K8S_CACHE    := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kumeo
K8S_KEY      := $(shell cat tools/k8s/go.mod tools/k8s/go.sum 2>/dev/null | sha256sum | cut -c1-16)-kwok-$(KWOK_VERSION)
K8S_BIN      := $(K8S_CACHE)/k8s-$(K8S_KEY)
K8S_ENV      := KUMEO_K8S_BIN=$(K8S_BIN)
K8S_PKGS     := etcd-server

.PHONY: k8s-test-bins k8s-deps
k8s-test-bins: k8s-deps $(K8S_BIN)/.complete

k8s-deps:
	$(call apt-install,$(K8S_PKGS))

# A private GOCACHE: the control plane is large, and a shared cache was seen
# corrupted by a concurrent clean.
$(K8S_BIN)/.complete: tools/k8s/go.mod tools/k8s/go.sum
	@echo "Building the Kubernetes test control plane into $(K8S_BIN) (once per machine)"
	@mkdir -p $(K8S_BIN)/stages
	cd tools/k8s && GOCACHE=$(K8S_CACHE)/gocache GOFLAGS='-mod=readonly -buildvcs=false' go build -o $(K8S_BIN)/ \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
	GOBIN=$(K8S_BIN) GOCACHE=$(K8S_CACHE)/gocache GOFLAGS= go install sigs.k8s.io/kwok/cmd/kwok@$(KWOK_VERSION)
	@# kwok's stock stages: nodes become Ready, pods Ready, complete and go away.
	@kwok="$$(go mod download -json sigs.k8s.io/kwok@$(KWOK_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p')"; \
		cp "$$kwok"/kustomize/stage/node/fast/node-initialize.yaml "$$kwok"/kustomize/stage/pod/fast/pod-*.yaml $(K8S_BIN)/stages/; \
		chmod u+w $(K8S_BIN)/stages/*
	@touch $@

# apt-install installs those of the Debian packages $(1) that are missing.
define apt-install
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing"; \
		$(APT) update; \
		$(APT) install -y --no-install-recommends $$missing; \
	fi
endef

desktop-deps:
	$(call apt-install,$(DESKTOP_PKGS))

xvfb-deps:
	$(call apt-install,$(XVFB_PKGS))

# ImageMagick's import takes the desktop smoke test's screenshots.
screenshot-deps:
	$(call apt-install,$(SCREENSHOT_PKGS))

# The browser tests drive Debian's Chromium with playwright-core.
browser-deps:
	$(call apt-install,$(BROWSER_PKGS))

wails-cli:
	@if [ "$$($(WAILS) version 2>/dev/null | head -n1)" != "$(WAILS_VERSION)" ]; then \
		echo "Installing Wails CLI $(WAILS_VERSION)"; \
		go install github.com/wailsapp/wails/v2/cmd/wails@$(WAILS_VERSION); \
	fi

frontend-deps: $(NODE_STAMP)

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

## ---- housekeeping --------------------------------------------------------

clean:
	rm -rf build/bin bin frontend/package.json.md5
	find frontend/dist -mindepth 1 -not -name .gitkeep -delete
