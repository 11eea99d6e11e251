// The embedded default: the stack `bootgate up --local` brings up when no config is given.
// Relative paths resolve against the current folder. No certificate carries an IP address or
// localhost: every client verifies its peer by service name, even on 127.0.0.1.
export const EMBEDDED_DEFAULT_YAML = `# bootgate embedded default
secretsDir: ./secrets-volume
stateDir: ./state
pki:
  ca: ephemeral
  keyAlgorithm: ecdsa-p256
  validity: 90d
  renewBefore: 15d
services:
  - name: vault                 # Vault listener TLS
    dns: [vault.internal]
  - name: postgres              # PostgreSQL server TLS (key owned by the server's user)
  - name: gateway               # gateway TLS: cert and key go to Vault, never to this volume
    dns: [gateway.internal]
  - name: core-data             # example service: HTTPS behind the gateway, PostgreSQL client
    database: coredata
  - name: core-metadata
    database: coremetadata
  - name: log-shipper           # certificates only (no process here): shipper -> collector mTLS
  - name: log-collector
vault:
  address: https://127.0.0.1:8200
  ikm: { file: ./state/ikm.hex }
postgres:
  host: 127.0.0.1
  port: 5432
  admin:
    # up --local derives it from the IKM and writes it here, on tmpfs, at every boot.
    passwordFile: ./secrets-volume/bootgate/postgres-admin.password
gateway:
  kind: nginx
  routes: ./state/routes.toml
  nginx:
    listen: 8443
`;
