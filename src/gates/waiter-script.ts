// The waiter for images without Node (postgres, nginx, openbao): POSIX sh, tested under dash.
// It has no inotify, so it looks every 100 ms; it keeps the same meaning as `bootgate wait`:
// gates of the current boot only, a timeout that exits 124 naming what is missing, then exec.
// With -r SIGNAL (the sh twin of `bootgate wait --reload-signal`) it does not exec: it keeps the
// command as its child, forwards TERM/INT/HUP to it (so `docker stop` still works as pid 1), exits
// with its code, and a poller sends it SIGNAL once per change set of the watched files (cksum
// every few seconds, signalled only once two looks in a row agree, so the renames of one renewal
// make one signal). Without -r the path is the old one: nothing more runs before the exec.
export const WAITER_SH = `#!/bin/sh
# Written by bootgate at every boot (and kept as compose/wait.sh). Usage:
#   sh <secretsDir>/.gates/wait.sh [-t SECONDS] [-r SIGNAL -w PATH...] GATE... [-- COMMAND ARGS...]
# A copy outside the gates folder (mounted into an image without Node, before any boot has
# written one) finds the gates through BOOTGATE_GATES_DIR=<secretsDir>/.gates.
# Exits 124 when the gates of the current boot are not all open in time (default 60 s).
# -r SIGNAL (e.g. HUP) -w PATH: keep COMMAND as a child and send it SIGNAL when a watched file
# changes (a folder means its cert.pem, key.pem, ca.pem and token.json), looked at every
# BOOTGATE_RELOAD_POLL seconds (default 2); TERM, INT and HUP are passed on; its exit code is ours.
# Paths must not hold spaces.
set -u
dir=\${BOOTGATE_GATES_DIR:-$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)}
timeout=60
reload=""
watch=""
while [ $# -gt 0 ]; do
  case "$1" in
    -t) timeout=$2; shift 2 ;;
    --timeout=*) timeout=\${1#--timeout=}; shift ;;
    -r) reload=$2; shift 2 ;;
    --reload-signal=*) reload=\${1#--reload-signal=}; shift ;;
    -w) watch="$watch $2"; shift 2 ;;
    --watch=*) watch="$watch \${1#--watch=}"; shift ;;
    *) break ;;
  esac
done
gates=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; break; fi
  gates="$gates $1"; shift
done
if [ -z "$gates" ]; then echo "wait.sh: name at least one gate" >&2; exit 2; fi
if [ -n "$reload" ]; then
  reload=\${reload#SIG}
  case "$reload" in
    KILL|STOP|""|*[!A-Z0-9]*) echo "wait.sh: -r: expected a signal name such as HUP or USR1 (not KILL or STOP), got $reload" >&2; exit 2 ;;
  esac
  if [ -z "$watch" ]; then echo "wait.sh: -r needs -w PATH: what to watch" >&2; exit 2; fi
  if [ $# -eq 0 ]; then echo "wait.sh: -r needs a command after -- to signal" >&2; exit 2; fi
  # Until the command runs there is nothing to reload (it reads its files when it starts), but an
  # untrapped HUP (\`docker kill -s HUP\` while it still waits) would end this shell and its container.
  trap : HUP "$reload"
fi
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
[ -z "$reload" ] && exec "$@"

files=""
for w in $watch; do
  if [ -d "$w" ]; then files="$files $w/cert.pem $w/key.pem $w/ca.pem $w/token.json"; else files="$files $w"; fi
done
# One line per readable file; a file that appears, goes or changes changes the text.
sums() { cksum $files 2>/dev/null; }
poll=\${BOOTGATE_RELOAD_POLL:-2}
seen=$(sums)
# Set before the child exists, so a TERM in between is not lost (nor the child orphaned).
child=""
pass() { [ -n "$child" ] && kill -s "$1" "$child" 2>/dev/null; }
trap 'pass TERM' TERM
trap 'pass INT' INT
trap 'pass HUP' HUP
"$@" &
child=$!
(
  trap 'kill $nap 2>/dev/null; exit 0' TERM
  pending=""
  while :; do
    sleep "$poll" &
    nap=$!
    wait $nap
    now=$(sums)
    if [ "$now" = "$seen" ]; then
      pending=""
    elif [ "$now" = "$pending" ]; then
      echo "wait.sh: watched files changed; sending SIG$reload" >&2
      kill -s "$reload" "$child" 2>/dev/null || exit 0
      seen=$now
      pending=""
    else
      pending=$now
    fi
  done
) &
poller=$!
# A trapped signal ends a wait early: wait again until the child itself is gone.
while :; do
  wait "$child"
  code=$?
  kill -0 "$child" 2>/dev/null || break
done
kill "$poller" 2>/dev/null
exit "$code"
`;
