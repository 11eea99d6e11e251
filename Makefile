# Two commands matter: `make up` (the stack on its embedded default) and `make test`.
SHELL := /bin/bash
BAO_VERSION := 2.7.2
VITEST := node_modules/.bin/vitest
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: prefetch-e2e all install build lint format typecheck test test-unit test-integration test-e2e e2e up tools bao vault system-deps python-deps bench clean compose-up compose-down

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
install: node_modules/.package-lock.json

dist/.built: node_modules/.package-lock.json tsconfig.json tsconfig.build.json scripts/bundle.mjs $(shell find src -name '*.ts')
	node_modules/.bin/tsc -p tsconfig.build.json && node scripts/bundle.mjs && touch $@
build: dist/.built

# Formatting is part of lint: `make format` writes what `make lint` checks.
lint: install
	node_modules/.bin/prettier --check --log-level warn .
	node_modules/.bin/eslint .
format: install
	node_modules/.bin/prettier --write --log-level warn .
typecheck: install
	node_modules/.bin/tsc -p tsconfig.json --noEmit

.tools/bin/bao: scripts/install-bao.sh
	bash scripts/install-bao.sh $(BAO_VERSION)
bao: .tools/bin/bao
system-deps:
	bash scripts/install-system-deps.sh
# hvac (PyPI, pinned by hash) for the checklist's Django example, into .tools/python.
.tools/python/.installed: scripts/install-python-deps.sh scripts/python-requirements.txt
	bash scripts/install-python-deps.sh
python-deps: .tools/python/.installed
tools: bao system-deps python-deps

test-unit: build
	$(VITEST) run --project unit
test-integration: build tools
	bash scripts/test-lanes.sh integration integration-timed
# End to end: `bootgate up --local`, and the compose stack in real containers. As root it installs
# docker.io and debootstrap from Debian where missing, Compose v2 where missing, and starts a current
# dockerd (built once from the Go module proxy, cached) where none answers (scripts/docker-engine.sh), builds the images without a registry (compose/image/build.sh,
# and the checklist image for compose/checklist.yml, compose/image/build-checklist.sh, which runs
# build.sh first; each cached by a hash of its inputs), then the tests bring the stack up, check
# it, reboot it (down without -v, up), check it again, try a broken config and tear everything down.
e2e: build tools
	bash scripts/docker-engine.sh
	bash compose/image/build-checklist.sh
	bash scripts/test-lanes.sh e2e e2e-timed
test-e2e: e2e

# The e2e step's one-time builds (dockerd, Compose v2, the base rootfs) start first, in the
# background and niced, where a fresh machine needs them (scripts/prefetch-e2e.sh).
prefetch-e2e:
	@bash scripts/prefetch-e2e.sh

# Lint and types first (cheap), then unit, integration against real parts, and end-to-end —
# one after the other, so real servers never compete with each other for the two cores.
test: prefetch-e2e lint typecheck build tools
	$(VITEST) run --project unit
	bash scripts/test-lanes.sh integration integration-timed
	$(MAKE) --no-print-directory e2e

up: build tools
	node bin/bootgate.js up --local

# The same stack in docker compose (README "docker compose"): as root, starts a Docker engine if
# none answers, builds the images locally (cached), then `up -d`. Gateway: 127.0.0.1:$${BOOTGATE_GATEWAY_PUBLISH:-8443}.
COMPOSE_RUN = export COMPOSE_HTTP_TIMEOUT=600; bash compose/compose.sh $(1)
compose-up: build bao
	bash scripts/docker-engine.sh
	bash compose/image/build.sh
	$(call COMPOSE_RUN,up -d)
# The waiter that compose mounts into images without Node (a unit test keeps it identical).
compose/wait.sh: src/gates/waiter-script.ts node_modules/.package-lock.json
	node_modules/.bin/tsx -e "import { WAITER_SH } from './src/gates/waiter-script.ts'; process.stdout.write(WAITER_SH)" > $@.tmp && chmod 0755 $@.tmp && mv $@.tmp $@
compose-down:
	$(call COMPOSE_RUN,down)

# A local OpenBao for development, on the config's vault.address (embedded default: 127.0.0.1:8200).
# The keyring's IKM file of the embedded default is made here if missing (dev only; bring your own in production).
vault: build bao
	@test -s state/ikm.hex || (mkdir -p state && umask 077 && openssl rand -hex 32 > state/ikm.hex && echo "made state/ikm.hex (development IKM)")
	node scripts/dev-vault.mjs

bench: build tools
	bash scripts/install-system-deps.sh cfssl
	node bench/run-all.mjs

clean:
	rm -rf dist .tools/cache
