import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkEnrollToken, ENROLL_AUDIENCE, makeEnrollToken } from "../../../src/enroll/enroll-token.js";
import { signHs256 } from "../../../src/enroll/hs256.js";
import { memoryEnrollStore } from "../../support/memory-enroll-store.js";

const NOW = 1_800_000_000_000;

describe("one-time enrollment tokens", () => {
  it("should carry the service as sub, a recorded jti, the enrollment audience and the asked-for lifetime", async () => {
    const store = memoryEnrollStore();
    const made = await makeEnrollToken(store, "edge-logs", 15 * 60_000, NOW);
    const key = (await store.readKey())!;
    const verdict = checkEnrollToken(made.token, key, NOW);
    expect(verdict).toEqual({ ok: true, claims: { sub: "edge-logs", jti: made.jti, exp: NOW / 1000 + 900 } });
    expect(store.records.get(made.jti)).toEqual({ service: "edge-logs", expiresAtMs: NOW + 900_000 });
    const claims = JSON.parse(Buffer.from(made.token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claims.aud).toBe(ENROLL_AUDIENCE);
    expect(made.expiresAtMs).toBe(NOW + 900_000);
  });

  it("should refuse an expired token, one signed by another key, and one for another purpose", async () => {
    const store = memoryEnrollStore();
    const made = await makeEnrollToken(store, "edge-logs", 60_000, NOW);
    const key = (await store.readKey())!;
    expect(checkEnrollToken(made.token, key, NOW + 60_000)).toEqual({ ok: false, reason: "expired" });
    const other = { secret: randomBytes(32), keyId: key.keyId };
    expect(checkEnrollToken(made.token, other, NOW)).toEqual({ ok: false, reason: "bad signature" });
    expect(checkEnrollToken(made.token, { ...key, keyId: "another" }, NOW)).toEqual({ ok: false, reason: "signed with an unknown key" });
    const gatewayLike = signHs256(key.secret, { aud: "bootgate-gateway", sub: "edge-logs", jti: "x", iat: NOW / 1000, exp: NOW / 1000 + 60 });
    expect(checkEnrollToken(gatewayLike, key, NOW)).toMatchObject({ ok: false, reason: expect.stringMatching(/another purpose/) });
  });

  it("should let a recorded token be used once only", async () => {
    const store = memoryEnrollStore();
    const made = await makeEnrollToken(store, "edge-logs", 60_000, NOW);
    expect(await store.useToken(made.jti, "core-data", NOW)).toMatchObject({ ok: false, reason: expect.stringMatching(/another service/) });
    expect(await store.useToken(made.jti, "edge-logs", NOW)).toEqual({ ok: true });
    expect(await store.useToken(made.jti, "edge-logs", NOW)).toMatchObject({ ok: false, reason: expect.stringMatching(/already used/) });
  });
});
