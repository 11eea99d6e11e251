#!/usr/bin/env bash
# hvac for the checklist's Django example, into .tools/python (on uWSGI's pythonpath), pinned by
# hash (pip's --require-hashes), no dependencies pulled: requests is Debian's python3-requests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target="$root/.tools/python"
req="$root/scripts/python-requirements.txt"
stamp="$target/.installed"
if [ -f "$stamp" ] && cmp -s "$stamp" "$req"; then exit 0; fi
pip=$(command -v pip3 || command -v pip || true)
[ -n "$pip" ] || { echo "install-python-deps.sh: pip is missing: apt-get install python3-pip" >&2; exit 1; }
rm -rf "$target"
mkdir -p "$target"
"$pip" install --quiet --disable-pip-version-check --no-deps --require-hashes --target "$target" -r "$req" 2>&1 | grep -v "Running pip as the 'root' user" >&2 || true
[ -f "$target/hvac/__init__.py" ] || { echo "install-python-deps.sh: hvac did not install into $target (PyPI reachable?)" >&2; exit 1; }
cp "$req" "$stamp"
