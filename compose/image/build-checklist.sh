#!/usr/bin/env bash
# Builds the checklist image (compose/checklist.yml) after the stack's own images (build.sh):
#   ${BOOTGATE_IMAGE:-bootgate}-checklist  FROM bootgate-base, plus Debian bookworm's uwsgi-core,
#       uwsgi-plugin-python3, python3-django, python3-psycopg2, python3-requests, rsyslog and
#       rsyslog-gnutls, hvac 2.3.0 (hash-pinned, scripts/install-python-deps.sh), and the example's
#       Django app and rsyslog configs (examples/checklist/).
# A script of its own, not a flag of build.sh: only the checklist's e2e test and its users pay for
# it, and build.sh's inputs (and so its cached images) stay as they are.
# The .debs are resolved on the host by apt against bootgate-base's own dpkg status (so exactly
# the missing packages and their dependencies, nothing bootgate-base already has) and fetched with
# apt's signature checks; the image installs them with apt, offline. Measured cold: ~1 min, against ~5 min
# for a second debootstrap base with the same packages (docs/compose.md).
# Idempotent: the image carries a label with the hash of its inputs and is rebuilt only when that
# hash changes. Needs what build.sh needs, plus apt (a Debian bookworm host) and pip (hvac, once).
# Env: BOOTGATE_IMAGE (the app image's tag; this one is its name plus -checklist).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${BOOTGATE_IMAGE:-bootgate}
checklist="$image-checklist"
# uwsgi-core: the uwsgi binary itself (Debian's `uwsgi` adds only its init scripts and configs).
packages=(uwsgi-core uwsgi-plugin-python3 python3-django python3-psycopg2 python3-requests rsyslog rsyslog-gnutls)
cache="$root/.tools/cache/compose-image"

fail() { echo "build-checklist.sh: $*" >&2; exit 1; }
took() { echo "build-checklist.sh: $1 built in $(( $(date +%s) - $2 )) s"; }
label_of() { docker image inspect --format '{{ index .Config.Labels "bootgate.inputs" }}' "$1" 2>/dev/null || true; }

bash "$here/build.sh"
bash "$root/scripts/install-python-deps.sh"
python="$root/.tools/python"
[ -f "$python/hvac/__init__.py" ] || fail "$python/hvac is missing: run \`bash scripts/install-python-deps.sh\`"
command -v apt-get >/dev/null 2>&1 || fail "apt-get is missing: the checklist image's .debs are fetched with the host's apt (Debian bookworm)"
grep -q 'VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null || fail "the host is not Debian bookworm: its apt would fetch another release's packages for a bookworm image"

hash_tree() { (cd "$root" && find "$@" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-64; }
inputs=$(printf '%s\n' "$(label_of bootgate-base)" "${packages[*]}" \
  "$(sha256sum "$here/Dockerfile.checklist" "$root/scripts/python-requirements.txt" | cut -c1-64)" \
  "$(hash_tree examples/checklist/django examples/checklist/rsyslog)" | sha256sum | cut -c1-16)
if [ "$(label_of "$checklist")" = "$inputs" ]; then
  echo "build-checklist.sh: image $checklist ($inputs) is up to date"
  exit 0
fi

start=$(date +%s)
previous=$(docker image inspect --format '{{.Id}}' "$checklist" 2>/dev/null || true)
ctx="$cache/context-${checklist//[^A-Za-z0-9_.-]/_}"
rm -rf "$ctx"
mkdir -p "$ctx/debs/partial" "$ctx/state" "$ctx/root/opt/bootgate" "$ctx/root/opt/checklist"
# bootgate-base's package list, so apt fetches what it lacks and nothing more.
cid=$(docker create bootgate-base)
docker cp "$cid:/var/lib/dpkg/status" "$ctx/state/status" >/dev/null || { docker rm "$cid" >/dev/null; fail "could not read bootgate-base's dpkg status"; }
docker rm "$cid" >/dev/null
apt_opts=(-o "Dir::State::status=$ctx/state/status" -o "Dir::Cache::archives=$ctx/debs" -o Debug::NoLocking=1)
apt-get -q "${apt_opts[@]}" install -y --download-only --no-install-recommends "${packages[@]}" >"$ctx.apt.log" 2>&1 ||
  { tail -n 30 "$ctx.apt.log" >&2; fail "apt-get could not fetch the checklist's packages (full log: $ctx.apt.log; stale lists? run \`apt-get update\`)"; }
rm -rf "$ctx/debs/partial" "$ctx/debs/lock" "$ctx/state"
cp -a "$python" "$ctx/root/opt/bootgate/python"
rm -f "$ctx/root/opt/bootgate/python/.installed"
cp -a "$root/examples/checklist/django" "$root/examples/checklist/rsyslog" "$ctx/root/opt/checklist/"
find "$ctx/root" \( -name __pycache__ -o -name '*.pyc' \) -prune -exec rm -rf {} +
cp "$here/Dockerfile.checklist" "$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q --label "bootgate.inputs=$inputs" -t "$checklist" "$ctx" >"$ctx.log" 2>&1 ||
  { tail -n 40 "$ctx.log" >&2; fail "docker build failed (full log: $ctx.log)"; }
rm -rf "$ctx"
[ -z "$previous" ] || [ "$previous" = "$(docker image inspect --format '{{.Id}}' "$checklist")" ] || docker rmi "$previous" >/dev/null 2>&1 || true
took "$checklist" "$start"
echo "build-checklist.sh: image $checklist ($inputs) is up to date"
