// The secrets volume's layout — the public interface services, compose files and users read
// (README, "The secrets volume") — and the files bootgate keeps in the state folder. Every path
// into either is built here, so a name changes in one place or not at all.
//
// <secretsDir>/
//   ca/ca.pem                  trust bundle
//   <service>/cert.pem         leaf then chain
//   <service>/key.pem          its key
//   <service>/ca.pem           copy of the trust bundle
//   <service>/token.json       its Vault token
//   <gateway>/nginx/           nginx's generated config (unless gateway.nginx.configDir)
//   <gateway>/kong/            Kong's declarative config (unless gateway.kong.configDir)
//   bootgate/token.json        bootgate's own Vault token for the later stages
//   bootgate/intermediate.sealed  this boot's intermediate (AES-256-GCM) until Vault's PKI engine holds it
//   bootgate/cert.pem, key.pem bootgate's own leaf (name `bootgate`): the agent's HTTPS listener
//   bootgate/agent-state.json  what the agent keeps: next and last renewal, last error (no secret), for `status`
//   .gates/<gate>, .gates/boot, .gates/wait.sh
// <stateDir>/
//   vault/keyring.json         the encrypted unseal or recovery key shares
//   vault/cluster.json         a Vault cluster's id, once it was first initialized (public): no node self-initializes again
//   openbao/, postgres/        `up --local`'s servers' data
//   pki/                       the offline root's CSR and intermediate (public), the sealed bootstrap leaves
import { join } from "node:path";

export const CA_DIR = "ca";
export const CA_BUNDLE = "ca.pem";
/** The files of `<secretsDir>/<service>/`. */
export const SERVICE_FILES = { cert: "cert.pem", key: "key.pem", ca: "ca.pem", token: "token.json" } as const;
export type ServiceFile = keyof typeof SERVICE_FILES;
/** bootgate's own folder, beside the services' (a service may not take its name, nor `ca`'s). */
export const BOOTGATE_DIR = "bootgate";
export const GATES_DIR = ".gates";
export const BOOT_FILE = "boot";
export const WAITER_SCRIPT = "wait.sh";
export const NGINX_DIR = "nginx";
export const KONG_DIR = "kong";
/** What `up --local` derives for PostgreSQL's admin, in bootgate's folder. */
export const LOCAL_ADMIN_PASSWORD_FILE = "postgres-admin.password";

export const caDir = (secretsDir: string) => join(secretsDir, CA_DIR);
export const caBundlePath = (secretsDir: string) => join(caDir(secretsDir), CA_BUNDLE);

export const serviceDir = (secretsDir: string, service: string) => join(secretsDir, service);
/** `<secretsDir>/<service>/cert.pem` and its siblings; `service` may be bootgate's own folder. */
export const servicePath = (secretsDir: string, service: string, file: ServiceFile) => join(serviceDir(secretsDir, service), SERVICE_FILES[file]);
export const bootgateDir = (secretsDir: string) => serviceDir(secretsDir, BOOTGATE_DIR);
/** This boot's intermediate, sealed, between pki-init and secretstore-setup (src/pki/sealed-intermediate.ts). */
export const sealedIntermediatePath = (secretsDir: string) => join(bootgateDir(secretsDir), "intermediate.sealed");
/** The agent's view of what it keeps, written after each change (src/agent/agent-state-file.ts). */
export const agentStatePath = (secretsDir: string) => join(bootgateDir(secretsDir), "agent-state.json");
export const localAdminPasswordPath = (secretsDir: string) => join(bootgateDir(secretsDir), LOCAL_ADMIN_PASSWORD_FILE);

/** The default homes of the gateway's generated config, in the gateway's own folder (tmpfs: keys are in them). */
export const nginxDir = (secretsDir: string, gateway: string) => join(serviceDir(secretsDir, gateway), NGINX_DIR);
export const kongDir = (secretsDir: string, gateway: string) => join(serviceDir(secretsDir, gateway), KONG_DIR);

export const gatesDir = (secretsDir: string) => join(secretsDir, GATES_DIR);
export const gatePath = (secretsDir: string, gate: string) => join(gatesDir(secretsDir), gate);
export const bootPath = (secretsDir: string) => join(gatesDir(secretsDir), BOOT_FILE);
export const waiterScriptPath = (secretsDir: string) => join(gatesDir(secretsDir), WAITER_SCRIPT);

export const keyringPath = (stateDir: string) => join(stateDir, "vault", "keyring.json");
/** Written once the stack's Vault cluster was initialized (src/vault/cluster/init-marker.ts). */
export const clusterMarkerPath = (stateDir: string) => join(stateDir, "vault", "cluster.json");
/** `up --local`'s own servers keep their data beside the keyring. */
export const localServerDir = (stateDir: string, server: "openbao" | "postgres") => join(stateDir, server);
/** `up --local`'s record of the running stack (removed on a clean stop) and its watchdog's log. */
export const upRecordPath = (stateDir: string) => join(stateDir, "up-processes.json");
export const upWatchdogLogPath = (stateDir: string) => join(stateDir, "up-watchdog.log");
/** What OpenBao starts on besides its certificate, in the vault service's folder: its boot config and static seal keys. */
export const VAULT_BOOT_CONFIG_FILE = "openbao.json";
export const SEAL_KEY_PATTERN = /^seal-\d+\.key$/;
export const vaultBootConfigFile = (secretsDir: string, vaultService: string) => join(serviceDir(secretsDir, vaultService), VAULT_BOOT_CONFIG_FILE);
export const sealKeyFile = (secretsDir: string, vaultService: string, id: number) => join(serviceDir(secretsDir, vaultService), `seal-${id}.key`);

/** pki.ca.import with pki.issuer vault (the offline root): public and sealed PKI material kept across boots. */
export const offlinePkiDir = (stateDir: string) => join(stateDir, "pki");
/** The CSR `bootgate ca csr` last had Vault make (public): what `ca install` checks the signed certificate's key against. */
export const pendingCsrPath = (stateDir: string) => join(offlinePkiDir(stateDir), "intermediate.csr");
/** The intermediate `bootgate ca install` put into Vault (public): ca/ca.pem's second half before Vault runs. */
export const installedIntermediatePath = (stateDir: string) => join(offlinePkiDir(stateDir), "intermediate.pem");
/** Vault's and PostgreSQL's next leaves, issued by Vault, AES-256-GCM under an IKM-derived key: pki-init's bootstrap. */
export const sealedBootstrapLeavesPath = (stateDir: string) => join(offlinePkiDir(stateDir), "bootstrap-leaves.sealed");
