#!/usr/bin/env bash
# N P-256 leaves from an existing intermediate with the openssl CLI, the way an entrypoint script
# does (a key, a CSR and a signature per service: three processes): the peer of bench/pki/issuance.ts.
# usage: openssl-leaves.sh N OUT_DIR INTERMEDIATE_PEM INTERMEDIATE_KEY
set -euo pipefail
n=$1 out=$2 int=$3 intkey=$4 work=$2/.work
mkdir -p "$work"
cd "$work"
ec=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
for i in $(seq 1 "$n"); do
  s=svc-$i
  mkdir -p "$out/$s"
  openssl genpkey "${ec[@]}" -out "$out/$s/key.pem" 2>/dev/null
  chmod 0600 "$out/$s/key.pem"
  openssl req -new -key "$out/$s/key.pem" -subj "/CN=$s" -out "$s.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:%s,IP:127.0.0.1\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' "$s" > "$s.ext"
  openssl x509 -req -in "$s.csr" -CA "$int" -CAkey "$intkey" -set_serial 0x$(openssl rand -hex 16 | sed 's/^./1/') -days 90 -extfile "$s.ext" -out "$out/$s/cert.pem" 2>/dev/null
done
rm -rf "$work"
