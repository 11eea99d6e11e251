import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signJwt, verifyJwt, type JwtKey } from "../../../src/gateway/jwt.js";

const key: JwtKey = { secret: randomBytes(32).toString("base64url"), algorithm: "HS256", keyId: "k" };
const NOW = Date.UTC(2026, 0, 1);

describe("gateway JWTs", () => {
  it("should sign a token that verifies with the same key and carries the user, issuer and expiry", () => {
    const token = signJwt(key, { sub: "alice", iss: "bootgate", ttlMs: 3_600_000, nowMs: NOW });
    const verdict = verifyJwt(token, key, { issuer: "bootgate", nowMs: NOW + 1000 });
    expect(verdict).toEqual({ ok: true, claims: { sub: "alice", iss: "bootgate", iat: NOW / 1000, nbf: NOW / 1000, exp: NOW / 1000 + 3600 } });
  });

  it("should refuse an expired token", () => {
    const token = signJwt(key, { sub: "alice", iss: "bootgate", ttlMs: 60_000, nowMs: NOW });
    expect(verifyJwt(token, key, { issuer: "bootgate", nowMs: NOW + 61_000 })).toEqual({ ok: false, reason: "expired" });
  });

  it("should refuse a token signed with another key", () => {
    const other = { ...key, secret: randomBytes(32).toString("base64url") };
    const token = signJwt(other, { sub: "alice", iss: "bootgate", ttlMs: 60_000, nowMs: NOW });
    expect(verifyJwt(token, key, { issuer: "bootgate", nowMs: NOW })).toEqual({ ok: false, reason: "bad signature" });
  });

  it("should refuse a token whose claims were changed after signing", () => {
    const [h, , s] = signJwt(key, { sub: "alice", iss: "bootgate", ttlMs: 60_000, nowMs: NOW }).split(".");
    const claims = Buffer.from(JSON.stringify({ sub: "root", iss: "bootgate", exp: NOW / 1000 + 9999 })).toString("base64url");
    expect(verifyJwt(`${h}.${claims}.${s}`, key, { issuer: "bootgate", nowMs: NOW })).toEqual({ ok: false, reason: "bad signature" });
  });

  it("should refuse a token from another issuer and one that is not a JWT", () => {
    const token = signJwt(key, { sub: "alice", iss: "elsewhere", ttlMs: 60_000, nowMs: NOW });
    expect(verifyJwt(token, key, { issuer: "bootgate", nowMs: NOW })).toEqual({ ok: false, reason: "wrong issuer" });
    expect(verifyJwt("abc", key, { issuer: "bootgate", nowMs: NOW })).toEqual({ ok: false, reason: "not a compact JWT" });
  });
});
