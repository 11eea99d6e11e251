#!/usr/bin/env bash
# The integration project in two lanes at once (see vitest.config.ts): `integration-timed`, the
# files that mostly wait on a clock, in the background with its output kept aside, and
# `integration` in front. The timed lane's output follows the other's; the exit code is the
# first failure's. Ctrl-C or a kill stops both lanes (their servers stop with their test files'
# own cleanup). Arguments go to both vitest runs.
set -uo pipefail
cd "$(dirname "$0")/.."
vitest=node_modules/.bin/vitest
log=$(mktemp "${TMPDIR:-/tmp}/bootgate-integration-timed.XXXXXX")
"$vitest" run --project integration-timed "$@" >"$log" 2>&1 &
timed=$!
trap 'kill -INT "$timed" 2>/dev/null; wait "$timed"; rm -f "$log"; exit 130' INT TERM
"$vitest" run --project integration "$@"
front=$?
echo "--- integration-timed (ran beside the above; waiting for it to finish) ---"
wait "$timed"
back=$?
cat "$log"
rm -f "$log"
trap - INT TERM
[ "$front" -ne 0 ] && exit "$front"
exit "$back"
