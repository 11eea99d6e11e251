import { describe, expect, it } from "vitest";
import { TimeoutError } from "../../../src/errors.js";
import { waitForVault } from "../../../src/vault/seal-status.js";
import type { VaultClient } from "../../../src/vault/vault-client.js";

const fail = (code: string, message: string) => Object.assign(new Error(message), { code });
const status = { initialized: true, sealed: false, t: 1, n: 1, progress: 0 };

/** A client whose sys/seal-status gives each answer in turn, the last one from then on. */
function clientAnswering(...answers: (() => unknown)[]): VaultClient & { calls: number } {
  const client = {
    calls: 0,
    address: "https://vault:8200",
    serverName: "vault",
    caPem: "",
    close: () => {},
    api: {
      read: () => Promise.resolve().then(answers[Math.min(client.calls++, answers.length - 1)]!),
    },
  };
  return client as unknown as VaultClient & { calls: number };
}

describe("waiting for Vault to answer", () => {
  it("should keep waiting while Vault's name does not resolve yet (its container not started), then take its answer", async () => {
    const notYet = () => Promise.reject(fail("ENOTFOUND", "getaddrinfo ENOTFOUND vault"));
    const refused = () => Promise.reject(fail("ECONNREFUSED", "connect ECONNREFUSED 172.18.0.3:8200"));
    const client = clientAnswering(notYet, notYet, refused, () => status);
    const waiting: string[] = [];
    expect(await waitForVault(client, { timeoutMs: 5_000, pollMs: 1, onWaiting: (m) => waiting.push(m) })).toEqual(status);
    expect(client.calls).toBe(4);
    expect(waiting).toEqual(["waiting for Vault at https://vault:8200 (getaddrinfo ENOTFOUND vault)"]);
  });

  it("should run out naming the unresolvable name when it never appears (a mistyped address)", async () => {
    const client = clientAnswering(() => Promise.reject(fail("ENOTFOUND", "getaddrinfo ENOTFOUND valut")));
    const error = await waitForVault(client, { timeoutMs: 50, pollMs: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain("getaddrinfo ENOTFOUND valut");
  });

  it("should fail at once on a certificate that does not verify", async () => {
    const client = clientAnswering(() => Promise.reject(fail("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate")));
    const error = await waitForVault(client, { timeoutMs: 5_000, pollMs: 1 }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("Vault at https://vault:8200: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate");
    expect(client.calls).toBe(1);
  });
});
