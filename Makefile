# Two commands matter: `make up` (the stack on its embedded default) and `make test`.
SHELL := /bin/bash
BAO_VERSION := 2.7.2
VITEST := node_modules/.bin/vitest
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: all install build lint typecheck test test-unit test-integration test-e2e up tools bao system-deps bench clean

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
install: node_modules/.package-lock.json

dist/.built: install tsconfig.json tsconfig.build.json $(shell find src -name '*.ts')
	node_modules/.bin/tsc -p tsconfig.build.json && touch $@
build: dist/.built

lint: install
	node_modules/.bin/eslint .
typecheck: install
	node_modules/.bin/tsc -p tsconfig.json --noEmit

.tools/bin/bao: scripts/install-bao.sh
	bash scripts/install-bao.sh $(BAO_VERSION)
bao: .tools/bin/bao
system-deps:
	bash scripts/install-system-deps.sh
tools: bao system-deps

test-unit: build
	$(VITEST) run --project unit
test-integration: build tools
	$(VITEST) run --project integration
test-e2e: build tools
	$(VITEST) run --project e2e

# Lint and types first (cheap), then unit, integration against real parts, and end-to-end.
test: lint typecheck build tools
	$(VITEST) run --project unit --project integration --project e2e

up: build tools
	node bin/bootgate.js up --local

bench: build tools
	bash scripts/install-system-deps.sh cfssl
	node bench/run-all.mjs

clean:
	rm -rf dist .tools/cache
