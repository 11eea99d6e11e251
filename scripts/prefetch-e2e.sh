#!/usr/bin/env bash
# Starts the e2e step's one-time builds — the current dockerd and Compose v2 from the Go module
# proxy (scripts/build-dockerd.sh, scripts/build-compose.sh) and the base image's debootstrapped
# rootfs (compose/image/build.sh --rootfs) — in the background, niced, so that on a fresh machine
# they run beside lint, unit and integration instead of adding ~5 min before the e2e step. Nothing to do (and nothing started) where an engine already answers, or when not root
# (docker-engine.sh then says what to run). The builds take a lock each: when e2e's
# docker-engine.sh gets there first or later, it waits for the running build and reuses its result.
# Progress: .tools/cache/prefetch-e2e.log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
[ "$(id -u)" -eq 0 ] || exit 0
docker info >/dev/null 2>&1 && exit 0
mkdir -p "$root/.tools/cache"
log="$root/.tools/cache/prefetch-e2e.log"
# One after the other: both are Go builds sharing one build cache and the same two cores.
setsid nohup bash -c '
  bash "$1/build-dockerd.sh" >/dev/null || echo "prefetch-e2e.sh: build-dockerd.sh failed (docker-engine.sh will retry and say why)"
  v=$(docker compose version --short 2>/dev/null | sed "s/^v//" || true)
  if [ -z "$v" ] || [ "$(printf "%s\n%s\n" "$v" 2.24.0 | sort -V | head -n1)" != 2.24.0 ]; then
    bash "$1/build-compose.sh" >/dev/null || echo "prefetch-e2e.sh: build-compose.sh failed (docker-engine.sh will retry and say why)"
  fi
  # The rootfs only where no engine ever ran (a fresh machine): elsewhere the engine most likely
  # holds bootgate-base already, and build.sh would have nothing to import it for.
  [ -d /var/lib/docker/image ] || nice -n 10 bash "$1/../compose/image/build.sh" --rootfs >/dev/null ||
    echo "prefetch-e2e.sh: build.sh --rootfs failed (build.sh will retry and say why)"
' prefetch "$here" >"$log" 2>&1 </dev/null &
echo "prefetch-e2e.sh: building the e2e engine in the background (pid $!, log $log)"
