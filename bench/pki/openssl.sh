#!/usr/bin/env bash
# The same work as pki-init, done with the openssl CLI (see cfssl.sh for the layout).
# usage: openssl.sh N OUT_DIR
set -euo pipefail
n=$1 out=$2 work=$2/.work
mkdir -p "$work" "$out/ca"
cd "$work"
ec=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
openssl genpkey "${ec[@]}" -out root.key 2>/dev/null
openssl req -x509 -new -key root.key -subj "/CN=bench root" -days 91 -out root.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl genpkey "${ec[@]}" -out int.key 2>/dev/null
openssl req -new -key int.key -subj "/CN=bench intermediate" -out int.csr
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > int.ext
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 0x$(openssl rand -hex 16 | sed 's/^./1/') -days 91 -extfile int.ext -out int.pem 2>/dev/null
cat root.pem int.pem > "$out/ca/ca.pem"
for i in $(seq 1 "$n"); do
  s=svc-$i
  mkdir -p "$out/$s"
  openssl genpkey "${ec[@]}" -out "$out/$s/key.pem" 2>/dev/null
  chmod 0600 "$out/$s/key.pem"
  openssl req -new -key "$out/$s/key.pem" -subj "/CN=$s" -out "$s.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:%s,IP:127.0.0.1\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' "$s" > "$s.ext"
  openssl x509 -req -in "$s.csr" -CA int.pem -CAkey int.key -set_serial 0x$(openssl rand -hex 16 | sed 's/^./1/') -days 90 -extfile "$s.ext" -out "$s.pem" 2>/dev/null
  cat "$s.pem" int.pem > "$out/$s/cert.pem"
  cp "$out/ca/ca.pem" "$out/$s/ca.pem"
done
rm -rf "$work"
