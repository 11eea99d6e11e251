// A root token for one stage run, made from the unseal (or recovery) keys with the OTP flow:
// Vault returns the token XORed with a one-time pad it chose, so the token never crosses the
// wire in clear and is never written. The caller revokes it when done.
import type { VaultClient } from "./vault-client.js";
import { vaultCall, vaultStatusCode } from "./vault-errors.js";

interface AttemptStatus {
  started: boolean;
  nonce: string;
  otp?: string;
  progress: number;
  required: number;
  complete: boolean;
  encoded_token?: string;
}

/** Undoes the pad: base64(token XOR otp) → token. */
export function decodeRootToken(encodedToken: string, otp: string): string {
  const encoded = Buffer.from(encodedToken, "base64");
  const pad = Buffer.from(otp, "utf8");
  if (encoded.length !== pad.length) {
    throw new Error(`generate-root: the encoded token is ${encoded.length} bytes but the one-time pad is ${pad.length}`);
  }
  const out = Buffer.alloc(encoded.length);
  for (let i = 0; i < encoded.length; i++) out[i] = encoded[i]! ^ pad[i]!;
  return out.toString("utf8");
}

export async function generateRootToken(client: VaultClient, keysB64: readonly string[]): Promise<string> {
  const { api, address } = client;
  const current = (await vaultCall(address, "read sys/generate-root/attempt", () => api.read("sys/generate-root/attempt")).catch((error: unknown) => {
    if (vaultStatusCode((error as Error).cause) === 405) {
      throw new Error(
        `Vault at ${address} refuses sys/generate-root (OpenBao >= 2.5.3 turns its unauthenticated endpoints off by default, CVE-2026-5807, and bootgate does not ask to turn them back on)`,
        { cause: error },
      );
    }
    throw error;
  })) as AttemptStatus;
  // A run that died half-way leaves an attempt behind; its nonce and pad are lost with it.
  if (current.started) await vaultCall(address, "cancel sys/generate-root/attempt", () => api.delete("sys/generate-root/attempt"));
  const attempt = (await vaultCall(address, "start sys/generate-root/attempt", () => api.write("sys/generate-root/attempt", {}))) as AttemptStatus;
  if (!attempt.otp) throw new Error(`Vault at ${address}: generate-root returned no one-time pad`);
  let status = attempt;
  for (const key of keysB64.slice(0, attempt.required)) {
    status = (await vaultCall(address, "sys/generate-root/update", () =>
      api.write("sys/generate-root/update", { key, nonce: attempt.nonce }),
    )) as AttemptStatus;
    if (status.complete) break;
  }
  if (!status.complete || !status.encoded_token) {
    throw new Error(`Vault at ${address}: generate-root did not complete with ${keysB64.length} key shares (needs ${attempt.required})`);
  }
  return decodeRootToken(status.encoded_token, attempt.otp);
}
