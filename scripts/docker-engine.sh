#!/usr/bin/env bash
# A Docker engine for the compose stack and its e2e test: installs Debian's docker.io,
# docker-compose (bookworm has compose v1, `docker-compose`; a `docker compose` plugin is used
# when one is there) and debootstrap when missing (as root), then starts `dockerd` in the
# background (overlay2 where the kernel allows it, else vfs) unless an engine already answers.
# Prints nothing on success but the engine's state; any failure says what to do.
# Env: BOOTGATE_DOCKERD_LOG (default /var/log/bootgate-dockerd.log), BOOTGATE_DOCKERD_TIMEOUT (s, 60),
# BOOTGATE_DOCKER_STORAGE (overlay2 or vfs; default: probed).
set -euo pipefail
log=${BOOTGATE_DOCKERD_LOG:-/var/log/bootgate-dockerd.log}
timeout=${BOOTGATE_DOCKERD_TIMEOUT:-60}

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker >/dev/null 2>&1 || need+=(docker.io)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then need+=(docker-compose); fi
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

if docker info >/dev/null 2>&1; then
  echo "docker-engine.sh: an engine answers ($(docker info --format '{{.ServerVersion}} {{.Driver}}' 2>/dev/null))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "docker-engine.sh: no Docker engine answers and only root can start one: run \`sudo bash scripts/docker-engine.sh\`" >&2
  exit 1
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
  setsid nohup dockerd --storage-driver="$1" >>"$log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 $((timeout * 5))); do
    if docker info >/dev/null 2>&1; then
      echo "docker-engine.sh: started dockerd (pid $pid, $1, log $log)"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "docker-engine.sh: dockerd ($1) exited before it answered; the end of $log:" >&2; tail -n 20 "$log" >&2; return 1; }
    sleep 0.2
  done
  echo "docker-engine.sh: dockerd (pid $pid, $1) did not answer \`docker info\` within ${timeout}s; the end of $log:" >&2
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
