// Every gate a boot opens, by name. Containers wait on these names (`wait.sh vault-ready`), so
// they are part of the public interface: a stage, the CLI and a test take them from here.
export const PKI_READY = "pki-ready";
export const VAULT_READY = "vault-ready";
export const DB_READY = "db-ready";
export const GATEWAY_CERT_READY = "gateway-cert-ready";
export const GATEWAY_READY = "gateway-ready";
