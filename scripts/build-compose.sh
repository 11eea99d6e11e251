#!/usr/bin/env bash
# Compose v2 built from the Go module proxy, for machines whose `docker compose` is missing or
# older than scripts/docker-engine.sh accepts (Debian bookworm ships only docker-compose 1.29).
# `go install …/cmd@version` refuses this module (its go.mod has exclude directives), so the
# proxy's copy of the module (checked against sum.golang.org, the default GOSUMDB) is built in
# place. Pinned: COMPOSE_VERSION. Cached: .tools/docker/compose-<version>/docker-compose with its
# sha256 (SHA256SUMS, checked on reuse), Go's caches under .tools/cache/go. Installs it as the CLI
# plugin (a link in /usr/local/lib/docker/cli-plugins as root, else ~/.docker/cli-plugins).
# Prints the binary's path. Env: BOOTGATE_GO (default: go on PATH, else /usr/local/go/bin/go).
set -euo pipefail
COMPOSE_VERSION=v2.40.3
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.tools/docker/compose-$COMPOSE_VERSION"
bin="$dir/docker-compose"
# One build at a time (scripts/prefetch-e2e.sh may have started one): a second run waits here,
# then finds the first one's result below.
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ "$(id -u)" -eq 0 ]; then plugins=/usr/local/lib/docker/cli-plugins; else plugins="$HOME/.docker/cli-plugins"; fi

if ! { [ -x "$bin" ] && [ -f "$dir/SHA256SUMS" ] && (cd "$dir" && sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1); }; then
  go=${BOOTGATE_GO:-$(command -v go || echo /usr/local/go/bin/go)}
  [ -x "$go" ] || { echo "build-compose.sh: no Go toolchain (set BOOTGATE_GO or install Go ≥ 1.24 from https://go.dev/dl/)" >&2; exit 1; }
  export GOMODCACHE="$root/.tools/cache/go/mod" GOCACHE="$root/.tools/cache/go/build" GOFLAGS=-trimpath CGO_ENABLED=0
  mkdir -p "$dir"
  start=$(date +%s)
  echo "build-compose.sh: building compose $COMPOSE_VERSION (a few minutes; cached afterwards)" >&2
  src=$("$go" mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { echo "build-compose.sh: go mod download github.com/docker/compose/v2@$COMPOSE_VERSION failed" >&2; exit 1; }
  work="$dir/src"
  rm -rf "$work"
  cp -r "$src" "$work"
  chmod -R u+w "$work"
  if ! (cd "$work" && nice -n 10 "$go" build -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" -o "$bin" ./cmd) >"$dir/build.log" 2>&1; then
    tail -n 20 "$dir/build.log" >&2
    echo "build-compose.sh: go build failed (full log: $dir/build.log)" >&2
    exit 1
  fi
  rm -rf "$work"
  (cd "$dir" && sha256sum docker-compose >SHA256SUMS)
  echo "build-compose.sh: built compose $COMPOSE_VERSION in $(($(date +%s) - start)) s" >&2
fi
mkdir -p "$plugins"
ln -sfn "$bin" "$plugins/docker-compose"
echo "$bin"
