// Enabling a mount or an auth method is not idempotent: Vault refuses a path already in use
// with a 400. On a cluster's client an enable whose first node committed it and died before
// answering is sent again, and that 400 would fail the first boot at the one moment the issue
// promises it survives. So on such a client a 400 is checked against what the path now holds:
// the kind we asked for means the first send (ours, or a concurrent bootgate's same request)
// did it. Anything else, and every failure on one node's client, is thrown as before.
import type { VaultClient } from "./vault-client.js";
import { vaultCall, vaultStatusCode } from "./vault-errors.js";

export async function enableOnce(client: VaultClient, what: string, enable: () => Promise<unknown>, enabledAsAsked: () => Promise<boolean>): Promise<void> {
  try {
    await enable();
  } catch (error) {
    if (client.resendsCalls && vaultStatusCode(error) === 400 && (await enabledAsAsked().catch(() => false))) return;
    await vaultCall(client.address, what, () => Promise.reject(error));
  }
}
