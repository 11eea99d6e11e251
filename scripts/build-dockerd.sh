#!/usr/bin/env bash
# A current Docker engine (moby's 29.x line, served by the Go module proxy as
# github.com/moby/moby/v2 v2.0.0-beta.N) built from source with the machine's Go, for machines
# whose distribution ships an older engine (Debian bookworm: 20.10, which ignores volume subpath).
# Pinned: MOBY_VERSION below. The module's content is checked by Go against sum.golang.org (the
# default GOSUMDB, never turned off); the binaries' sha256 are kept beside them (SHA256SUMS) and checked on reuse.
# Cached: .tools/docker/<version>/{dockerd,docker-proxy}, Go's module and build caches under .tools/cache/go, so
# a second run is a checksum and nothing else. Prints the binary's path on stdout; progress and
# failures on stderr. Env: BOOTGATE_GO (the go binary; default: go on PATH, else /usr/local/go/bin/go).
set -euo pipefail
MOBY_VERSION=v2.0.0-beta.24
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.tools/docker/$MOBY_VERSION"
bin="$dir/dockerd"
# docker-proxy publishes ports for dockerd; the two speak a protocol of their own version, so
# Debian's (20.10) cannot stand in for it.
proxy="$dir/docker-proxy"
# One build at a time (scripts/prefetch-e2e.sh may have started one): a second run waits here,
# then finds the first one's result below.
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

if [ -x "$bin" ] && [ -x "$proxy" ] && [ -f "$dir/SHA256SUMS" ] && (cd "$dir" && sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1); then
  echo "$bin"
  exit 0
fi
go=${BOOTGATE_GO:-$(command -v go || echo /usr/local/go/bin/go)}
[ -x "$go" ] || { echo "build-dockerd.sh: no Go toolchain (set BOOTGATE_GO or install Go ≥ 1.24 from https://go.dev/dl/)" >&2; exit 1; }
mkdir -p "$dir" "$root/.tools/cache/go"
start=$(date +%s)
echo "build-dockerd.sh: building dockerd $MOBY_VERSION with $("$go" version | cut -d' ' -f3) (a few minutes; cached afterwards)" >&2
# Static, no cgo: the binary runs on any glibc. nri_no_wasm leaves out NRI's WASM plugin runtime.
if ! env GOMODCACHE="$root/.tools/cache/go/mod" GOCACHE="$root/.tools/cache/go/build" GOBIN="$dir" CGO_ENABLED=0 GOFLAGS=-trimpath \
  nice -n 10 "$go" install -ldflags "-X github.com/moby/moby/v2/dockerversion.Version=$MOBY_VERSION -X github.com/moby/moby/v2/dockerversion.GitCommit=$MOBY_VERSION" -tags "netgo osusergo static_build nri_no_wasm" "github.com/moby/moby/v2/cmd/dockerd@$MOBY_VERSION" "github.com/moby/moby/v2/cmd/docker-proxy@$MOBY_VERSION" >"$dir/build.log" 2>&1; then
  tail -n 20 "$dir/build.log" >&2
  echo "build-dockerd.sh: go install failed (full log: $dir/build.log)" >&2
  exit 1
fi
(cd "$dir" && sha256sum dockerd docker-proxy >SHA256SUMS)
echo "build-dockerd.sh: built $("$bin" --version) in $(($(date +%s) - start)) s" >&2
echo "$bin"
