import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signHs256, verifyHs256 } from "../../../src/enroll/hs256.js";
import { derivePskKey, PBKDF2_ITERATIONS } from "../../../src/enroll/psk-key.js";
import { checkBundleStatement, checkPskRequest, signBundleStatement, signPskRequest } from "../../../src/enroll/psk-statement.js";

const NOW = 1_800_000_000_000;
const key = randomBytes(32);

describe("HS256 JWTs and the PSK-derived key", () => {
  it("should verify its own token and refuse a changed one, another key, another audience or an expired one", () => {
    const token = signHs256(key, { aud: "a", iat: NOW / 1000, exp: NOW / 1000 + 60, sub: "x" });
    expect(verifyHs256(token, key, { audience: "a", nowMs: NOW })).toMatchObject({ ok: true, claims: { sub: "x" } });
    const [h, p, s] = token.split(".");
    const forged = `${h}.${Buffer.from(JSON.stringify({ aud: "a", iat: NOW / 1000, exp: NOW / 1000 + 60, sub: "y" })).toString("base64url")}.${s}`;
    expect(verifyHs256(forged, key, { audience: "a", nowMs: NOW })).toEqual({ ok: false, reason: "bad signature" });
    expect(verifyHs256(token, randomBytes(32), { audience: "a", nowMs: NOW })).toEqual({ ok: false, reason: "bad signature" });
    expect(verifyHs256(token, key, { audience: "b", nowMs: NOW })).toMatchObject({ ok: false, reason: expect.stringMatching(/another purpose/) });
    expect(verifyHs256(token, key, { audience: "a", nowMs: NOW + 61_000 })).toEqual({ ok: false, reason: "expired" });
    expect(verifyHs256(`${h}.${p}`, key, { audience: "a", nowMs: NOW })).toEqual({ ok: false, reason: "not a compact JWT" });
  });

  it("should refuse a token whose header names another algorithm, even with a valid MAC", () => {
    const header = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
    const body = Buffer.from(JSON.stringify({ aud: "a", iat: NOW / 1000, exp: NOW / 1000 + 60 })).toString("base64url");
    const mac = createHmac("sha256", key).update(`${header}.${body}`).digest("base64url");
    expect(verifyHs256(`${header}.${body}.${mac}`, key, { audience: "a", nowMs: NOW })).toEqual({ ok: false, reason: "unexpected algorithm" });
  });

  it("should derive the same key from the same PSK and salt, another from another salt, and refuse few iterations", async () => {
    const psk = Buffer.from("x".repeat(40));
    const salt = randomBytes(16);
    const a = await derivePskKey(psk, salt);
    expect(a.length).toBe(32);
    expect((await derivePskKey(psk, salt)).equals(a)).toBe(true);
    expect((await derivePskKey(psk, randomBytes(16))).equals(a)).toBe(false);
    await expect(derivePskKey(psk, salt, PBKDF2_ITERATIONS - 1)).rejects.toThrow(/at least 600000 PBKDF2 iterations/);
  });

  it("should keep the bundle statement and the PSK sign request apart", () => {
    const statement = signBundleStatement(key, "ab".repeat(32), NOW);
    expect(checkBundleStatement(statement, key, NOW)).toEqual({ ok: true, claims: { bundleSha256: "ab".repeat(32) } });
    // The public statement cannot be sent as a PSK request, nor the other way round.
    expect(checkPskRequest(statement, key, NOW).ok).toBe(false);
    const request = signPskRequest(key, "edge-logs", NOW);
    expect(checkPskRequest(request, key, NOW)).toMatchObject({ ok: true, claims: { sub: "edge-logs" } });
    expect(checkBundleStatement(request, key, NOW).ok).toBe(false);
    expect(checkPskRequest(request, key, NOW + 61_000)).toEqual({ ok: false, reason: "expired" });
  });
});
