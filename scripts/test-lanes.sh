#!/usr/bin/env bash
# Two vitest projects at once, each one file at a time (see vitest.config.ts): the second, whose
# files mostly wait on a clock, in the background with its output kept aside, the first in front.
# The second's output follows the first's; the exit code is the first failure's. Ctrl-C or a kill
# stops both (their servers stop with their test files' own cleanup). The lanes pick their free
# ports from two halves of the range below the kernel's ephemeral ports (BOOTGATE_PORT_RANGE,
# src/servers/free-port.ts), so a port one lane picked is never the other's pick too.
#   scripts/test-lanes.sh integration integration-timed [vitest args…]
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: scripts/test-lanes.sh FRONT-PROJECT BACK-PROJECT [vitest args…]" >&2; exit 2; }
front_project=$1 back_project=$2
shift 2
vitest=node_modules/.bin/vitest
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 0)
front_env=() back_env=()
if [ -z "${BOOTGATE_PORT_RANGE:-}" ] && [ "${ephemeral_low:-0}" -gt 12000 ]; then
  mid=$(((10000 + ephemeral_low) / 2))
  front_env=("BOOTGATE_PORT_RANGE=10000-$((mid - 1))")
  back_env=("BOOTGATE_PORT_RANGE=$mid-$((ephemeral_low - 1))")
fi
log=$(mktemp "${TMPDIR:-/tmp}/bootgate-$back_project.XXXXXX")
env "${back_env[@]}" "$vitest" run --project "$back_project" "$@" >"$log" 2>&1 &
back_pid=$!
trap 'kill -INT "$back_pid" 2>/dev/null; wait "$back_pid"; rm -f "$log"; exit 130' INT TERM
env "${front_env[@]}" "$vitest" run --project "$front_project" "$@"
front=$?
echo "--- $back_project (ran beside $front_project; waiting for it to finish) ---"
wait "$back_pid"
back=$?
cat "$log"
rm -f "$log"
trap - INT TERM
[ "$front" -ne 0 ] && exit "$front"
exit "$back"
