// The narrow interface db-seed drives PostgreSQL through. The real one (pg-db-admin.ts) speaks
// SQL over TLS; unit tests use an in-memory fake. Passwords never cross it: only verifiers.
export interface RoleState {
  canLogin: boolean;
  /** Any of SUPERUSER, CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS: never handed to a service. */
  privileged?: string[];
  /** The stored SCRAM verifier; null when the role has no password; undefined when the admin may not read it. */
  verifier: string | null | undefined;
}

export interface Inventory {
  roles: Map<string, RoleState>;
  /** Database → owner role. */
  databases: Map<string, string>;
}

export interface DbAdmin {
  /** Waits until the server answers, up to `timeoutMs`; transient failures are retried inside. */
  waitUntilReady(timeoutMs: number, signal: AbortSignal): Promise<void>;
  inventory(): Promise<Inventory>;
  createRole(role: string, verifier: string): Promise<void>;
  setPassword(role: string, verifier: string): Promise<void>;
  /** A database the role owns, closed to everyone else (no CONNECT for PUBLIC). */
  createDatabase(database: string, owner: string): Promise<void>;
  setDatabaseOwner(database: string, owner: string): Promise<void>;
  /** A database owned by the admin that holds services' schemas, closed to PUBLIC. */
  createSharedDatabase(database: string): Promise<void>;
  /** The role's schema in a shared database: owned by it, its search_path there, CONNECT granted. */
  ensureSchema(database: string, schema: string, role: string): Promise<void>;
  grant(database: string, role: string, grants: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
