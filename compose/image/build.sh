#!/usr/bin/env bash
# Builds the two images of the compose stack, without a registry:
#   bootgate-base  a minbase Debian bookworm rootfs (debootstrap) with PostgreSQL, nginx + njs,
#                  ca-certificates and dash, imported with `docker import`;
#   bootgate       FROM bootgate-base, plus this machine's own `node`, the project's dist/, bin/,
#                  production node_modules/, compose/ and the `bao` binary from .tools/bin.
# Idempotent: each image carries a label with the hash of its inputs and is rebuilt only when
# that hash changes. Needs root (debootstrap), a Docker engine (scripts/docker-engine.sh) and a
# built project (`make build bao`).
# Env: BOOTGATE_DEBIAN_MIRROR (default http://deb.debian.org/debian); BOOTGATE_IMAGE, the app
# image's tag (default bootgate: the one compose/docker-compose.yml runs unless told otherwise),
# so two checkouts can keep their own image on one engine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$root/.tools/cache/compose-image"
mirror=${BOOTGATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=postgresql,nginx,libnginx-mod-http-js,ca-certificates,dash,libstdc++6
node_bin=$(node -p process.execPath)
bao_bin="$root/.tools/bin/bao"
image=${BOOTGATE_IMAGE:-bootgate}

fail() { echo "build.sh: $*" >&2; exit 1; }
mkdir -p "$cache"

# --- bootgate-base -------------------------------------------------------------------------
# Bump base_version when the way the rootfs is made changes.
base_version=2
base_hash=$(printf '%s\n' "bookworm" "$mirror" "$packages" "$base_version" | sha256sum | cut -c1-16)
base_tar="$cache/bootgate-base-$base_hash.tar"
# The rootfs as a tarball, made once per base_hash and kept until it is imported. Needs no
# engine, so scripts/prefetch-e2e.sh makes it beside the tests (`build.sh --rootfs`); the lock
# makes a second caller wait for the first one's tarball instead of debootstrapping again.
make_base_tar() {
  exec 8>"$cache/rootfs.lock"
  flock 8
  [ -s "$base_tar" ] && return 0
  [ "$(id -u)" -eq 0 ] || fail "debootstrap needs root: run \`sudo bash compose/image/build.sh\`"
  command -v debootstrap >/dev/null 2>&1 || fail "debootstrap is missing: run \`bash scripts/docker-engine.sh\` (as root it installs debootstrap) or \`apt-get install debootstrap\`"
  local rootfs="$cache/rootfs"
  rm -rf "$rootfs"
  echo "build.sh: debootstrap bookworm (minbase + $packages) into $rootfs"
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -n 30 "$cache/debootstrap.log" >&2; fail "debootstrap failed (full log: $cache/debootstrap.log)"; }
  # The package's own cluster, apt's caches, docs, translations and the JIT's LLVM (the stack
  # runs PostgreSQL with jit=off) are of no use in the image, and with the vfs storage driver
  # every container is a full copy of it: smaller is faster to start.
  rm -rf "$rootfs"/var/lib/postgresql/* "$rootfs"/etc/postgresql/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/usr/lib/x86_64-linux-gnu/libLLVM-*.so* "$rootfs"/usr/lib/postgresql/*/lib/llvmjit* "$rootfs"/usr/lib/postgresql/*/lib/bitcode
  tar -C "$rootfs" -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
  rm -rf "$rootfs"
}
if [ "${1:-}" = --rootfs ]; then
  make_base_tar
  exit 0
fi

docker info >/dev/null 2>&1 || fail "no Docker engine answers: run \`bash scripts/docker-engine.sh\` (as root)"
[ -x "$bao_bin" ] || fail "$bao_bin is missing: run \`make bao\`"
[ -f "$root/dist/cli/entry.js" ] || [ -d "$root/dist" ] || fail "dist/ is missing: run \`make build\`"

label_of() { docker image inspect --format '{{ index .Config.Labels "bootgate.inputs" }}' "$1" 2>/dev/null || true; }
took() { echo "build.sh: $1 built in $(( $(date +%s) - $2 )) s"; }

if [ "$(label_of bootgate-base)" != "$base_hash" ]; then
  start=$(date +%s)
  make_base_tar
  docker import \
    --change "LABEL bootgate.inputs=$base_hash" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh"]' "$base_tar" bootgate-base >/dev/null
  rm -f "$base_tar"
  took bootgate-base "$start"
else
  rm -f "$base_tar"
fi

# --- bootgate ------------------------------------------------------------------------------
ctx="$cache/context-${image//[^A-Za-z0-9_.-]/_}"
hash_tree() { (cd "$root" && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-64; }
app_hash=$(printf '%s\n' "$base_hash" \
  "$(sha256sum "$node_bin" "$bao_bin" "$root/package.json" "$root/package-lock.json" "$here/Dockerfile" | cut -c1-64)" \
  "$(hash_tree dist bin compose/example-service compose/entry compose/vault.hcl compose/bootgate.yaml compose/routes.toml)" | sha256sum | cut -c1-16)
if [ "$(label_of "$image")" != "$app_hash" ]; then
  start=$(date +%s)
  previous=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  rm -rf "$ctx"
  r="$ctx/root"
  mkdir -p "$r/usr/local/bin" "$r/app/compose" "$r/etc/bootgate"
  cp "$node_bin" "$r/usr/local/bin/node"
  # Without its debug sections bao is ~40 MB smaller (Go needs none of them to run).
  strip -o "$r/usr/local/bin/bao" "$bao_bin" 2>/dev/null || cp "$bao_bin" "$r/usr/local/bin/bao"
  cp -a "$root/dist" "$root/bin" "$root/package.json" "$root/package-lock.json" "$r/app/"
  cp -a "$root/compose/example-service" "$root/compose/entry" "$root/compose/vault.hcl" "$r/app/compose/"
  cp "$root/compose/bootgate.yaml" "$root/compose/routes.toml" "$r/etc/bootgate/"
  # Production packages only: a copy of node_modules pruned offline against the lock file.
  cp -a "$root/node_modules" "$r/app/node_modules"
  (cd "$r/app" && npm prune --omit=dev --no-audit --no-fund >/dev/null 2>&1) || fail "npm prune --omit=dev failed in $r/app"
  cp "$here/Dockerfile" "$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q --label "bootgate.inputs=$app_hash" -t "$image" "$ctx" >"$ctx.log" 2>&1 ||
    { tail -n 30 "$ctx.log" >&2; fail "docker build failed (full log: $ctx.log)"; }
  rm -rf "$ctx"
  # The image this one replaces, unless a container still uses it.
  [ -z "$previous" ] || [ "$previous" = "$(docker image inspect --format '{{.Id}}' "$image")" ] || docker rmi "$previous" >/dev/null 2>&1 || true
  took "$image" "$start"
fi
echo "build.sh: images bootgate-base ($base_hash) and $image ($app_hash) are up to date"
