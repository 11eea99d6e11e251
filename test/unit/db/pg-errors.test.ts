import { describe, expect, it } from "vitest";
import { generatePassword, isUsablePassword } from "../../../src/db/password.js";
import { isPgUnavailable, pgFailure } from "../../../src/db/pg-errors.js";
import { redact } from "../../../src/db/redact.js";
import { isTransient } from "../../../src/errors.js";

describe("PostgreSQL errors", () => {
  it("should call a refused or dropped connection and a starting server transient", () => {
    expect(isPgUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isPgUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isPgUnavailable(Object.assign(new Error("the database system is starting up"), { code: "57P03" }))).toBe(true);
    expect(isPgUnavailable(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBe(true);
    expect(isTransient(pgFailure("h:1", "x", Object.assign(new Error("gone"), { code: "ECONNRESET" })))).toBe(true);
  });

  it("should not retry an authentication failure or a bad certificate", () => {
    const auth = pgFailure("h:1", "connect", Object.assign(new Error('password authentication failed for user "postgres"'), { code: "28P01" }));
    expect(isTransient(auth)).toBe(false);
    expect(auth.message).toBe('PostgreSQL at h:1: connect failed: 28P01: password authentication failed for user "postgres"');
    expect(isPgUnavailable(Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" }))).toBe(
      false,
    );
  });

  it("should cut verifiers and known secrets out of server text", () => {
    const error = Object.assign(new Error(`syntax error at or near "SCRAM-SHA-256$4096:abc=$def=:ghi="`), { code: "42601", detail: "password hunter2-secret" });
    const failure = pgFailure("h:1", "set the password of role a", error, ["hunter2-secret"]);
    expect(failure.message).not.toContain("SCRAM-SHA-256$");
    expect(failure.message).not.toContain("hunter2-secret");
    expect(failure.message).toContain("[redacted]");
    expect(failure.cause).toBeUndefined();
    expect(redact("plain text")).toBe("plain text");
  });
});

describe("generatePassword", () => {
  it("should carry 32 random bytes as 43 base64url characters", () => {
    const seen = new Set(Array.from({ length: 50 }, generatePassword));
    expect(seen.size).toBe(50);
    for (const p of seen) {
      expect(p).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(p, "base64url")).toHaveLength(32);
      expect(isUsablePassword(p)).toBe(true);
    }
  });
});
