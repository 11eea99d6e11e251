// The embedded default: the stack `bootgate up --local` brings up when no config is given.
// Relative paths resolve against the current folder.
export const EMBEDDED_DEFAULT_YAML = `# bootgate embedded default
secretsDir: ./secrets-volume
stateDir: ./state
pki:
  ca: ephemeral
  keyAlgorithm: ecdsa-p256
  validity: 90d
  renewBefore: 15d
services:
  - name: vault
    dns: [vault.internal]
    ip: [127.0.0.1]
  - name: postgres
    ip: [127.0.0.1]
  - name: gateway
    dns: [gateway.internal]
    ip: [127.0.0.1]
  - name: core-data
    database: coredata
    ip: [127.0.0.1]
  - name: core-metadata
    database: coremetadata
    ip: [127.0.0.1]
vault:
  address: https://127.0.0.1:8200
  ikm: { file: ./state/ikm.hex }
postgres:
  host: 127.0.0.1
  port: 5432
gateway:
  kind: nginx
  routes: ./state/routes.toml
`;
