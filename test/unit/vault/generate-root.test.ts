import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeRootToken } from "../../../src/vault/generate-root.js";

describe("generate-root decoding", () => {
  it("should undo the one-time pad Vault applied to the token", () => {
    const token = "s.Ab3dEf6hIj9kLmNoPqRsTuVw";
    const otp = randomBytes(token.length).toString("base64").slice(0, token.length);
    const encoded = Buffer.from([...Buffer.from(token)].map((b, i) => b ^ otp.charCodeAt(i)))
      .toString("base64")
      .replace(/=+$/, "");
    expect(decodeRootToken(encoded, otp)).toBe(token);
  });

  it("should refuse a pad of the wrong length", () => {
    expect(() => decodeRootToken(Buffer.from("abc").toString("base64"), "abcd")).toThrow(/one-time pad/);
  });
});
