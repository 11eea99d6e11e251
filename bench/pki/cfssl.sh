#!/usr/bin/env bash
# The same work as pki-init, done with cfssl: a root, an intermediate (pathlen 0) and one
# P-256 leaf per service (CN and SAN = service name + 127.0.0.1, server+client auth), laid out
# as <out>/ca/ca.pem and <out>/<service>/{cert,key,ca}.pem.
# usage: cfssl.sh N OUT_DIR
set -euo pipefail
n=$1 out=$2 work=$2/.work
mkdir -p "$work" "$out/ca"
cd "$work"
cat > config.json <<'JSON'
{"signing":{"profiles":{
  "intermediate":{"expiry":"2184h","usages":["cert sign","crl sign"],"ca_constraint":{"is_ca":true,"max_path_len":0,"max_path_len_zero":true}},
  "leaf":{"expiry":"2160h","usages":["digital signature","server auth","client auth"]}}}}
JSON
echo '{"CN":"bench root","key":{"algo":"ecdsa","size":256},"ca":{"expiry":"2184h"}}' > root.json
echo '{"CN":"bench intermediate","key":{"algo":"ecdsa","size":256}}' > int.json
cfssl genkey -initca root.json 2>/dev/null | cfssljson -bare root
cfssl genkey -initca int.json 2>/dev/null | cfssljson -bare int
cfssl sign -ca root.pem -ca-key root-key.pem -config config.json -profile intermediate int.csr 2>/dev/null | cfssljson -bare int
cat root.pem int.pem > "$out/ca/ca.pem"
for i in $(seq 1 "$n"); do
  s=svc-$i
  mkdir -p "$out/$s"
  echo "{\"CN\":\"$s\",\"hosts\":[\"$s\",\"127.0.0.1\"],\"key\":{\"algo\":\"ecdsa\",\"size\":256}}" > "$s.json"
  cfssl gencert -ca int.pem -ca-key int-key.pem -config config.json -profile leaf "$s.json" 2>/dev/null | cfssljson -bare "$s"
  cat "$s.pem" int.pem > "$out/$s/cert.pem"
  install -m 0600 "$s-key.pem" "$out/$s/key.pem"
  cp "$out/ca/ca.pem" "$out/$s/ca.pem"
done
rm -rf "$work"
