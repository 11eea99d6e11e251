import { describe, expect, it } from "vitest";
import { isTransient, RequestError } from "../../../src/errors.js";
import { vaultCall } from "../../../src/vault/vault-errors.js";

describe("Vault call errors", () => {
  it("should mark a refused connection as transient and name the address", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8200"), { code: "ECONNREFUSED" });
    const error = await vaultCall("https://127.0.0.1:8200", "sys/seal-status", () => Promise.reject(refused)).catch((e: unknown) => e);
    expect(isTransient(error)).toBe(true);
    expect((error as Error).message).toBe("Vault at https://127.0.0.1:8200: sys/seal-status failed: connect ECONNREFUSED 127.0.0.1:8200");
  });

  it("should fail a refusal at once with its status code", async () => {
    const denied = Object.assign(new Error("permission denied"), { response: { statusCode: 403, body: {} } });
    const error = await vaultCall("https://vault:8200", "write secret/data/x", () => Promise.reject(denied)).catch((e: unknown) => e);
    expect(isTransient(error)).toBe(false);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as Error).message).toBe("Vault at https://vault:8200: write secret/data/x failed: HTTP 403: permission denied");
  });
});
