import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isScramVerifier, parseScramVerifier, scramVerifier, verifierMatches } from "../../../src/db/scram-verifier.js";

// RFC 7677 section 3: user "user", password "pencil".
const RFC = {
  salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
  authMessage:
    "n=user,r=rOprNGfwEbeRWgbNEkqO," +
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  proof: "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverSignature: "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

describe("scramVerifier", () => {
  it("should make a ServerKey that signs the RFC 7677 exchange as the RFC says", async () => {
    const v = parseScramVerifier(await scramVerifier("pencil", Buffer.from(RFC.salt, "base64"), 4096))!;
    const signature = createHmac("sha256", v.serverKey).update(RFC.authMessage).digest("base64");
    expect(signature).toBe(RFC.serverSignature);
  });

  it("should make a StoredKey that the RFC 7677 client proof opens", async () => {
    const v = parseScramVerifier(await scramVerifier("pencil", Buffer.from(RFC.salt, "base64"), 4096))!;
    const clientSignature = createHmac("sha256", v.storedKey).update(RFC.authMessage).digest();
    const proof = Buffer.from(RFC.proof, "base64");
    const clientKey = Buffer.from(proof.map((b, i) => b ^ clientSignature[i]!));
    expect(createHash("sha256").update(clientKey).digest().equals(v.storedKey)).toBe(true);
  });

  it("should write the verifier in PostgreSQL's format with 4096 iterations and a 16-byte random salt", async () => {
    const a = await scramVerifier("correct horse battery staple");
    const b = await scramVerifier("correct horse battery staple");
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(isScramVerifier(a)).toBe(true);
    expect(a).not.toBe(b);
  });

  it("should tell whether a verifier was made from a password", async () => {
    const v = await scramVerifier("s3cret-password-value");
    expect(await verifierMatches(v, "s3cret-password-value")).toBe(true);
    expect(await verifierMatches(v, "s3cret-password-valuf")).toBe(false);
    expect(await verifierMatches("md5abcdef", "s3cret-password-value")).toBe(false);
  });

  it("should refuse a password SASLprep would change rather than hash it wrongly", async () => {
    await expect(scramVerifier("pässword")).rejects.toThrow(/printable ASCII/);
  });
});
