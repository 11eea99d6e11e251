// The real KvClient: KV v2 through node-vault, keys relative to the mount (`core-data/database`).
import type { KvClient } from "./kv-client.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall, vaultStatusCode } from "./vault-errors.js";

const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

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
    await vaultCall(this.client.address, `write ${path}`, () => this.client.api.write(path, { data }));
  }

  /** Drops the client's pooled connections. */
  close(): void {
    this.client.close();
  }
}
