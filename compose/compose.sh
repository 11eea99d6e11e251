#!/usr/bin/env bash
# `docker compose` with the stack's files: compose/docker-compose.yml, plus compose/subpath.yml
# (each service mounts only its own folder of the secrets volume) where the engine supports
# volume subpath (API ≥ 1.45, Docker 26); else the base file alone, where every
# service mounts the whole volume (said on stderr). Arguments go to compose after the files, so
# more -f files and -p work: compose/compose.sh -p demo -f compose/kong.yml up -d
# An extra -f F.yml with an F.subpath.yml beside it gets that file right after it in subpath mode
# (compose/checklist.yml and compose/checklist.subpath.yml).
# `compose/compose.sh --mode` prints the mode only: subpath or whole-volume.
# Env: BOOTGATE_COMPOSE_SUBPATH=1|0 forces the choice.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }

docker compose version >/dev/null 2>&1 || { echo "compose.sh: no Compose v2 (\`docker compose\`): run \`bash scripts/docker-engine.sh\` (it builds one where missing)" >&2; exit 1; }
mode=${BOOTGATE_COMPOSE_SUBPATH:-}
if [ -z "$mode" ]; then
  api=$(docker version --format '{{.Server.APIVersion}}' 2>/dev/null || true)
  if [ -n "$api" ] && version_ge "$api" 1.45; then mode=1; else mode=0; fi
fi
if [ "${1:-}" = --mode ]; then
  if [ "$mode" = 1 ]; then echo subpath; else echo whole-volume; fi
  exit 0
fi
files=(-f "$here/docker-compose.yml")
if [ "$mode" = 1 ]; then
  files+=(-f "$here/subpath.yml")
else
  echo "compose.sh: engine API ${api:-unknown}${api:+ < 1.45}: every service mounts the whole secrets volume (no compose/subpath.yml)" >&2
fi
# An override F.yml with a companion F.subpath.yml beside it (compose/checklist.yml,
# compose/vault-cluster.yml): in subpath
# mode the companion follows it, so its services too mount only their own folder.
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -f | --file) [ $# -ge 2 ] || { args+=("$1"); shift; continue; }; file=$2; args+=("$1" "$2"); shift 2 ;;
    --file=*) file=${1#--file=}; args+=("$1"); shift ;;
    *) args+=("$1"); shift; continue ;;
  esac
  companion="${file%.yml}.subpath.yml"
  if [ "$mode" = 1 ] && [ "$file" != "$companion" ] && [ -f "$companion" ]; then args+=(-f "$companion"); fi
done
exec docker compose "${files[@]}" "${args[@]}"
