# OpenBao in the compose stack (the `vault` service, mounted read-only at /etc/openbao/vault.hcl).
# TLS with pki-init's `vault` certificate from the secrets volume; raft storage on the
# `vault-data` volume (0700, owned by the vault service's uid). The seal (static, its key derived
# from the IKM) and the self-initialization come from bootgate's second config file,
# /secrets/vault/openbao.json, which pki-init writes to the tmpfs at every boot.
storage "raft" {
  path    = "/var/lib/openbao"
  node_id = "vault"
  # OpenBao's production recommendation (the default, 5, is for slow networks).
  performance_multiplier = 1
}
listener "tcp" {
  address         = "0.0.0.0:8200"
  cluster_address = "0.0.0.0:8201"
  tls_cert_file   = "/secrets/vault/cert.pem"
  tls_key_file    = "/secrets/vault/key.pem"
  tls_min_version = "tls12"
}
# Who read which secret, on its own volume (`vault-audit`, 0700, uid 1001); secrets HMAC'd.
audit "file" "bootgate" {
  description = "bootgate: the stack's audit log"
  options {
    file_path = "/var/log/openbao/audit.log"
    mode      = "0600"
  }
}
api_addr      = "https://vault:8200"
cluster_addr  = "https://vault:8201"
ui            = false
log_level     = "warn"
