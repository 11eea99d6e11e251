#!/usr/bin/env bash
# A Docker engine and Compose v2 for the compose stack and its e2e test.
# - Packages (as root, when missing): Debian's docker.io (its containerd, runc and the 20.10
#   dockerd kept as the fallback), debootstrap for the base image.
# - Compose v2: the `docker compose` plugin already present when it is ≥ 2.24 (long-syntax volume
#   `subpath`), else one built from the Go module proxy (scripts/build-compose.sh, cached).
# - Engine: one that already answers is used as is; it is said loudly when it is older than API
#   1.45 (engine 26), where volume subpath is missing and the services share the whole secrets
#   volume (compose/compose.sh then picks the fallback). Else, as root, starts moby 29.x built
#   and cached by scripts/build-dockerd.sh (overlay2 where the kernel allows it, else vfs); when
#   that build fails (no Go, no network) Debian's dockerd 20.10, said loudly.
# Prints the engine's state; any failure says what to do.
# Env: BOOTGATE_DOCKERD_LOG (default /var/log/bootgate-dockerd.log), BOOTGATE_DOCKERD_TIMEOUT (s, 60),
# BOOTGATE_DOCKER_STORAGE (overlay2 or vfs; default: probed), BOOTGATE_DOCKERD (a dockerd binary to
# start instead: /usr/sbin/dockerd runs Debian's 20.10).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
log=${BOOTGATE_DOCKERD_LOG:-/var/log/bootgate-dockerd.log}
timeout=${BOOTGATE_DOCKERD_TIMEOUT:-60}
SUBPATH_API=1.45
COMPOSE_MIN=2.24.0

warn() { printf '\n*** docker-engine.sh: WARNING: %s ***\n\n' "$*" >&2; }
# version_ge A B: A ≥ B, both dotted.
version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }

need=()
command -v docker >/dev/null 2>&1 || need+=(docker.io)
command -v containerd >/dev/null 2>&1 || need+=(docker.io)
command -v runc >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "docker-engine.sh: missing ${need[*]}; install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2046
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi

compose_version=$(docker compose version --short 2>/dev/null | sed 's/^v//' || true)
if [ -z "$compose_version" ] || ! version_ge "$compose_version" "$COMPOSE_MIN"; then
  bash "$here/build-compose.sh" >/dev/null
  compose_version=$(docker compose version --short | sed 's/^v//')
fi

report() {
  local api
  api=$(docker version --format '{{.Server.APIVersion}}' 2>/dev/null)
  echo "docker-engine.sh: $1 $(docker info --format 'engine {{.ServerVersion}}, {{.Driver}}' 2>/dev/null), API $api, compose $compose_version"
  version_ge "$api" "$SUBPATH_API" ||
    warn "engine API $api < $SUBPATH_API (Docker 26): no volume subpath, so every service mounts the whole secrets volume (only uids keep them apart); \`bootgate status\` says so"
}
if docker info >/dev/null 2>&1; then
  report "an engine answers:"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "docker-engine.sh: no Docker engine answers and only root can start one: run \`sudo bash scripts/docker-engine.sh\`" >&2
  exit 1
fi

dockerd=${BOOTGATE_DOCKERD:-}
if [ -z "$dockerd" ]; then
  if dockerd=$(bash "$here/build-dockerd.sh"); then :; else
    dockerd=$(command -v dockerd || true)
    [ -n "$dockerd" ] || { echo "docker-engine.sh: neither a built dockerd nor Debian's (apt-get install docker.io)" >&2; exit 1; }
    warn "could not build the current engine (above); starting Debian's $("$dockerd" --version)"
  fi
fi
flags=()
if "$dockerd" --help 2>&1 | grep -q -- '--feature'; then
  # Graph drivers (overlay2/vfs) rather than the containerd image store, which wants a newer
  # containerd than Debian's 1.6; runc before 1.2 knows no time namespace.
  flags+=(--feature containerd-snapshotter=false)
  runc_version=$(runc --version | sed -n 's/^runc version \([0-9.]*\).*/\1/p')
  version_ge "${runc_version:-0}" 1.2 || flags+=(--feature time-namespaces=false)
fi
# overlay2 where the kernel mounts an overlay on Docker's own folder (containers are created in
# milliseconds, layers stored once); else vfs, which works on any filesystem, including inside a
# container, at the price of a full copy of the image per container. BOOTGATE_DOCKER_STORAGE wins.
driver=${BOOTGATE_DOCKER_STORAGE:-}
if [ -z "$driver" ]; then
  mkdir -p /var/lib/docker
  probe=$(mktemp -d /var/lib/docker/.overlay-probe.XXXXXX)
  mkdir -p "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
    umount "$probe/merged"
    driver=overlay2
  else
    driver=vfs
  fi
  rm -rf "$probe"
fi
start_dockerd() {
  # Its own folder first on PATH: the docker-proxy built with it.
  PATH="$(dirname "$dockerd"):$PATH" setsid nohup "$dockerd" --storage-driver="$1" "${flags[@]}" >>"$log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 $((timeout * 5))); do
    if docker info >/dev/null 2>&1; then
      report "started $dockerd (pid $pid, log $log):"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "docker-engine.sh: $dockerd ($1) exited before it answered; the end of $log:" >&2; tail -n 20 "$log" >&2; return 1; }
    sleep 0.2
  done
  echo "docker-engine.sh: $dockerd (pid $pid, $1) did not answer \`docker info\` within ${timeout}s; the end of $log:" >&2
  tail -n 20 "$log" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}
start_dockerd "$driver" && exit 0
# A probed overlay2 that dockerd still refuses: vfs always works.
if [ "$driver" = overlay2 ] && [ -z "${BOOTGATE_DOCKER_STORAGE:-}" ]; then
  echo "docker-engine.sh: retrying with the vfs storage driver" >&2
  sleep 1
  start_dockerd vfs && exit 0
fi
exit 1
