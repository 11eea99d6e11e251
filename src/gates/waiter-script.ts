// The waiter for images without Node (postgres, nginx, openbao): POSIX sh, tested under dash.
// It has no inotify, so it looks every 100 ms; it keeps the same meaning as `bootgate wait`:
// gates of the current boot only, a timeout that exits 124 naming what is missing, then exec.
export const WAITER_SH = `#!/bin/sh
# Written by bootgate at every boot (and kept as compose/wait.sh). Usage:
#   sh <secretsDir>/.gates/wait.sh [-t SECONDS] GATE... [-- COMMAND ARGS...]
# A copy outside the gates folder (mounted into an image without Node, before any boot has
# written one) finds the gates through BOOTGATE_GATES_DIR=<secretsDir>/.gates.
# Exits 124 when the gates of the current boot are not all open in time (default 60 s).
set -u
dir=\${BOOTGATE_GATES_DIR:-$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)}
timeout=60
case "\${1:-}" in
  -t) timeout=$2; shift 2 ;;
  --timeout=*) timeout=\${1#--timeout=}; shift ;;
esac
gates=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; break; fi
  gates="$gates $1"; shift
done
if [ -z "$gates" ]; then echo "wait.sh: name at least one gate" >&2; exit 2; fi
kernel=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || true)
# Deciseconds, so the arithmetic stays in integers.
limit=$(( timeout * 10 ))
ticks=0
while :; do
  missing=""
  boot=$(sed -n 's/.*"bootId":"\\([^"]*\\)".*/\\1/p' "$dir/boot" 2>/dev/null)
  bootkernel=$(sed -n 's/.*"kernelBootId":"\\([^"]*\\)".*/\\1/p' "$dir/boot" 2>/dev/null)
  if [ -n "$kernel" ] && [ -n "$bootkernel" ] && [ "$kernel" != "$bootkernel" ]; then boot=""; fi
  for g in $gates; do
    if [ -z "$boot" ] || ! grep -q "\\"bootId\\":\\"$boot\\"" "$dir/$g" 2>/dev/null; then
      missing="$missing $g"
    fi
  done
  [ -z "$missing" ] && break
  if [ "$ticks" -ge "$limit" ]; then
    echo "wait.sh: timed out after \${timeout}s; gates still missing:$missing" >&2
    exit 124
  fi
  sleep 0.1
  ticks=$(( ticks + 1 ))
done
[ $# -eq 0 ] && exit 0
exec "$@"
`;
