# OpenBao in the compose stack (the `vault` service, mounted read-only at /etc/openbao/vault.hcl).
# TLS with pki-init's `vault` certificate from the secrets volume; raft storage on the
# `vault-data` volume (0700, owned by the vault service's uid).
storage "raft" {
  path    = "/var/lib/openbao"
  node_id = "vault"
}
listener "tcp" {
  address         = "0.0.0.0:8200"
  cluster_address = "0.0.0.0:8201"
  tls_cert_file   = "/secrets/vault/cert.pem"
  tls_key_file    = "/secrets/vault/key.pem"
  tls_min_version = "tls12"
  # OpenBao >= 2.5.3 turns the unauthenticated sys/generate-root/* endpoints off by default;
  # secretstore-setup makes each boot's short-lived root token through them.
  disable_unauthed_generate_root_endpoints = false
}
api_addr      = "https://vault:8200"
cluster_addr  = "https://vault:8201"
ui            = false
log_level     = "warn"
