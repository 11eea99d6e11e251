// The real KvClient: KV v2 through node-vault, keys relative to the mount (`core-data/database`).
import type { KvClient } from "./kv-client.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall, vaultStatusCode } from "./vault-errors.js";

const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

const isCasMismatch = (error: unknown) => vaultStatusCode(error) === 400 && /check-and-set/i.test((error as Error).message);

/** Key order does not matter: Vault hands objects back with its own. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
const sameData = (a: unknown, b: unknown) => a !== undefined && JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

export class NodeVaultKvClient implements KvClient {
  constructor(
    private readonly client: VaultClient,
    readonly mount: string,
  ) {}

  async read(key: string): Promise<Record<string, unknown> | undefined> {
    const path = `${this.mount}/data/${encodeKey(key)}`;
    try {
      const body = (await this.client.api.read(path)) as { data?: { data?: Record<string, unknown> | null } };
      // A deleted latest version reads as data: null.
      return body.data?.data ?? undefined;
    } catch (error) {
      if (vaultStatusCode(error) === 404) return undefined;
      return vaultCall(this.client.address, `read ${path}`, () => Promise.reject(error));
    }
  }

  async write(key: string, data: Record<string, unknown>): Promise<void> {
    const path = `${this.mount}/data/${encodeKey(key)}`;
    if (!this.client.resendsCalls) {
      await vaultCall(this.client.address, `write ${path}`, () => this.client.api.write(path, { data }));
      return;
    }
    // On a cluster the follower sends a write again when its node died before answering; the
    // first may have committed. Check-and-set against the version read just before makes the
    // resent one fail instead of adding a second version, and the data read back then tells a
    // committed first attempt (ours: done) from another writer's (an error, nothing overwritten).
    const before = await this.version(path);
    if (before === "unreadable") {
      await vaultCall(this.client.address, `write ${path}`, () => this.client.api.write(path, { data }));
      return;
    }
    try {
      await this.client.api.write(path, { options: { cas: before }, data });
    } catch (error) {
      if (!isCasMismatch(error)) return vaultCall(this.client.address, `write ${path}`, () => Promise.reject(error));
      if (sameData(await this.read(key), data)) return;
      throw new Error(
        `Vault at ${this.client.address}: ${path} changed (version ${before} is no longer the latest) while bootgate wrote it; nothing was overwritten`,
        {
          cause: error,
        },
      );
    }
  }

  /** The latest version (0: never written), or "unreadable" for a writer that may not read it. */
  private async version(path: string): Promise<number | "unreadable"> {
    try {
      const body = (await this.client.api.read(path)) as { data?: { metadata?: { version?: number } } };
      return body.data?.metadata?.version ?? 0;
    } catch (error) {
      const status = vaultStatusCode(error);
      if (status === 404) return 0;
      if (status === 403) return "unreadable";
      return vaultCall(this.client.address, `read ${path}`, () => Promise.reject(error));
    }
  }

  /** Drops the client's pooled connections. */
  close(): void {
    this.client.close();
  }
}
