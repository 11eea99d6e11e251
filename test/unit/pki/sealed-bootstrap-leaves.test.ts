import { randomBytes } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readSealedBootstrapLeaves, writeSealedBootstrapLeaves } from "../../../src/pki/sealed-bootstrap-leaves.js";
import { sealedBootstrapLeavesPath } from "../../../src/volume/layout.js";
import { tempDir } from "../../support/tmp-dir.js";

const KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
const content = { issuedInBoot: "boot-1", leaves: [{ service: "vault", certPem: "CERT", keyPem: KEY }] };

describe("the sealed bootstrap leaves (offline root)", () => {
  it("should open with the same IKM what it sealed, with no key in clear in the file, 0600", async () => {
    await using dir = await tempDir();
    const ikm = randomBytes(32);
    await writeSealedBootstrapLeaves(dir.path, ikm, content);
    const file = sealedBootstrapLeavesPath(dir.path);
    expect(await readFile(file, "utf8")).not.toMatch(/PRIVATE KEY|CERT/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readSealedBootstrapLeaves(dir.path, ikm)).toEqual(content);
  });

  it("should give nothing (so pki-init bootstraps) for another IKM, a damaged file or none", async () => {
    await using dir = await tempDir();
    expect(await readSealedBootstrapLeaves(dir.path, randomBytes(32))).toBeUndefined();
    await writeSealedBootstrapLeaves(dir.path, randomBytes(32), content);
    expect(await readSealedBootstrapLeaves(dir.path, randomBytes(32))).toBeUndefined();
    await writeFile(sealedBootstrapLeavesPath(dir.path), "{not json");
    expect(await readSealedBootstrapLeaves(dir.path, randomBytes(32))).toBeUndefined();
  });
});
