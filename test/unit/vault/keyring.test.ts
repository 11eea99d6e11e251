import { randomBytes } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { decryptKeyring, encryptKeyring, type KeyringSecrets, loadKeyring, saveKeyring } from "../../../src/vault/keyring.js";
import { keyringPath } from "../../../src/volume/layout.js";
import { tempDir } from "../../support/tmp-dir.js";

const secrets = (): KeyringSecrets => ({
  kind: "unseal",
  keysB64: Array.from({ length: 5 }, () => randomBytes(33).toString("base64")),
  shares: 5,
  threshold: 3,
  createdAt: new Date().toISOString(),
});

describe("keyring", () => {
  it("should give back exactly the shares it was given with the same IKM", () => {
    const ikm = randomBytes(32);
    const s = secrets();
    expect(decryptKeyring(encryptKeyring(s, ikm), ikm)).toEqual(s);
  });

  it("should hold no key share in clear, in base64, hex or any other form we know", () => {
    const s = secrets();
    const text = encryptKeyring(s, randomBytes(32));
    for (const k of s.keysB64) {
      expect(text).not.toContain(k);
      expect(text).not.toContain(Buffer.from(k, "base64").toString("hex"));
      expect(text).not.toContain(k.slice(0, 16));
    }
  });

  it("should refuse a wrong IKM with 'cannot decrypt the keyring'", () => {
    const text = encryptKeyring(secrets(), randomBytes(32));
    expect(() => decryptKeyring(text, randomBytes(32), "/state/vault/keyring.json")).toThrow(/cannot decrypt the keyring \/state\/vault\/keyring.json/);
  });

  it("should refuse a keyring whose salt was changed, as the salt is authenticated", () => {
    const ikm = randomBytes(32);
    const doc = JSON.parse(encryptKeyring(secrets(), ikm)) as { kdf: { salt: string } };
    doc.kdf.salt = randomBytes(32).toString("base64");
    expect(() => decryptKeyring(JSON.stringify(doc), ikm)).toThrow(/cannot decrypt the keyring/);
  });

  it("should refuse a file that is not a keyring, saying what it expected", () => {
    expect(() => decryptKeyring("not json", randomBytes(32), "k.json")).toThrow(/cannot decrypt the keyring k.json: expected a bootgate keyring/);
  });

  it("should use a fresh random salt and IV for each keyring it writes", () => {
    const ikm = randomBytes(32);
    const a = JSON.parse(encryptKeyring(secrets(), ikm)) as { kdf: { salt: string }; cipher: { iv: string } };
    const b = JSON.parse(encryptKeyring(secrets(), ikm)) as { kdf: { salt: string }; cipher: { iv: string } };
    expect(a.kdf.salt).not.toBe(b.kdf.salt);
    expect(a.cipher.iv).not.toBe(b.cipher.iv);
    expect(Buffer.from(a.kdf.salt, "base64")).toHaveLength(32);
  });

  it("should save the keyring 0600 in a 0700 folder and load it back", async () => {
    await using dir = await tempDir();
    const ikm = randomBytes(32);
    const s = secrets();
    await saveKeyring(dir.path, s, ikm);
    expect((await stat(keyringPath(dir.path))).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(keyringPath(dir.path)))).mode & 0o777).toBe(0o700);
    expect(await loadKeyring(dir.path, ikm)).toEqual(s);
  });

  it("should leave the keyring byte-identical when the IKM is wrong", async () => {
    await using dir = await tempDir();
    await saveKeyring(dir.path, secrets(), randomBytes(32));
    const before = await readFile(keyringPath(dir.path));
    await expect(loadKeyring(dir.path, randomBytes(32))).rejects.toThrow(/cannot decrypt the keyring/);
    expect(await readFile(keyringPath(dir.path))).toEqual(before);
  });

  it("should report no keyring when the file does not exist", async () => {
    await using dir = await tempDir();
    await writeFile(`${dir.path}/unrelated`, "x");
    expect(await loadKeyring(dir.path, randomBytes(32))).toBeUndefined();
  });
});
