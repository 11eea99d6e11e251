// Imported material that pki-init must refuse, one flaw each. Each case builds its folders in
// `dir` and says which file the error must name and what it must say.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import type { PkiTestInput } from "./pki.js";
import { daysFromNow, type ImportFiles, importFilesOf, mint, mintImportSet, writeImportDir, writeLeafDir } from "./pki-fixtures.js";

export interface BadImport {
  name: string;
  /** The file the error must name, relative to the case's folder. */
  file: string;
  says: RegExp;
  build(dir: string): Promise<PkiTestInput>;
}

const SERVICES = [{ name: "vault", ip: ["127.0.0.1"] }, { name: "core-data" }];

/** An import folder that is good except for what `flaw` changes. */
function caCase(name: string, file: string, says: RegExp, flaw: (good: ImportFiles, dir: string) => Promise<ImportFiles>): BadImport {
  return {
    name,
    file: join("import", file),
    says,
    async build(dir) {
      const good = importFilesOf(await mintImportSet());
      const importDir = await writeImportDir(join(dir, "import"), await flaw(good, dir));
      return { services: SERVICES, pki: { ca: { import: importDir } } };
    },
  };
}

/** A good import folder, and core-data importing a leaf that `flaw` makes. */
function leafCase(
  name: string,
  file: string,
  says: RegExp,
  flaw: (set: Awaited<ReturnType<typeof mintImportSet>>) => Promise<Parameters<typeof writeLeafDir>[1]>,
  ephemeral = false,
): BadImport {
  return {
    name,
    file: join("leaf", file),
    says,
    async build(dir) {
      const set = await mintImportSet();
      const importDir = await writeImportDir(join(dir, "import"), importFilesOf(set));
      const leafDir = await writeLeafDir(join(dir, "leaf"), await flaw(set));
      const services = SERVICES.map((s) => (s.name === "core-data" ? { ...s, importCert: leafDir } : s));
      return ephemeral ? { services } : { services, pki: { ca: { import: importDir } } };
    },
  };
}

const withIntermediate = async (good: ImportFiles, options: Parameters<typeof mint>[0]): Promise<ImportFiles> => {
  const root = await mint({ name: "Flawed Root", ca: true });
  const intermediate = await mint({ ...options, issuer: options.issuer ?? root });
  return {
    root: good.root === undefined ? undefined : options.issuer ? good.root : root.pem,
    intermediate: intermediate.pem,
    intermediateKey: intermediate.keyPem,
  };
};

export const BAD_IMPORTS: BadImport[] = [
  caCase("a missing intermediate key", "intermediate-key.pem", /expected a readable PEM file \(ENOENT\)/, async (g) => ({ ...g, intermediateKey: undefined })),
  caCase("a missing root certificate", "root.pem", /expected a readable PEM file \(ENOENT\)/, async (g) => ({ ...g, root: undefined })),
  caCase("a broken PEM", "root.pem", /expected a valid PEM certificate, but certificate #1 does not parse/, async (g) => ({
    ...g,
    root: g.root!.replace(/\n[A-Za-z0-9+/]{20}/, "\n!!!!broken!!!!!!!!!!"),
  })),
  caCase("a file with no certificate in it", "intermediate.pem", /expected a PEM certificate .*found none/, async (g) => ({
    ...g,
    intermediate: "not a certificate\n",
  })),
  caCase("a key that does not parse", "intermediate-key.pem", /expected a PEM private key .* it does not parse/, async (g) => ({
    ...g,
    intermediateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
  })),
  caCase("the wrong key", "intermediate-key.pem", /this key belongs to another certificate/, async (g) => ({
    ...g,
    intermediateKey: (await mint({ name: "other", ca: true })).keyPem,
  })),
  caCase(
    "a key of another algorithm than its certificate",
    "intermediate-key.pem",
    /expected a key of type ec prime256v1 to match .*intermediate\.pem, got one of type rsa 2048/,
    async (g) => ({
      ...g,
      intermediateKey: (await mint({ name: "other", ca: true, algorithm: "rsa-2048" })).keyPem,
    }),
  ),
  caCase("an expired intermediate", "intermediate.pem", /expected a certificate valid now; it expired on/, (g) =>
    withIntermediate(g, { name: "Expired Intermediate", ca: true, notBefore: daysFromNow(-30), notAfter: daysFromNow(-1) }),
  ),
  caCase("a not-yet-valid intermediate", "intermediate.pem", /expected a certificate valid now; it is not valid before/, (g) =>
    withIntermediate(g, { name: "Future Intermediate", ca: true, notBefore: daysFromNow(2), notAfter: daysFromNow(30) }),
  ),
  caCase("an intermediate that is not a CA", "intermediate.pem", /basicConstraints CA:TRUE.*not a CA/, (g) =>
    withIntermediate(g, { name: "Not A CA", ca: false }),
  ),
  caCase("an intermediate without keyCertSign", "intermediate.pem", /keyUsage keyCertSign/, (g) =>
    withIntermediate(g, { name: "No Cert Sign", ca: true, keyCertSign: false }),
  ),
  caCase("a chain that does not verify (intermediate from another root)", "intermediate.pem", /signed by .*root\.pem; the chain does not verify/, async (g) => {
    const other = await withIntermediate(g, { name: "Foreign Intermediate", ca: true });
    return { ...other, root: g.root };
  }),
  caCase("a root that is not self-signed", "root.pem", /expected a self-signed root certificate/, async (g) => ({ ...g, root: g.intermediate })),
  caCase("an expired root", "root.pem", /it expired on/, async (g) => ({
    ...g,
    root: (await mint({ name: "Expired Root", ca: true, notBefore: daysFromNow(-30), notAfter: daysFromNow(-1) })).pem,
  })),
  caCase("an encrypted key", "intermediate-key.pem", /expected an unencrypted private key/, async (g, dir) => {
    // The passphrase goes through a file, never argv.
    const plain = join(dir, "plain-key.pem");
    const pass = join(dir, "pass.txt");
    await writeFile(plain, g.intermediateKey!, { mode: 0o600 });
    await writeFile(pass, "fixture-passphrase\n", { mode: 0o600 });
    const { stdout } = await execa("openssl", ["pkcs8", "-topk8", "-in", plain, "-v2", "aes-256-cbc", "-passout", `file:${pass}`]);
    return { ...g, intermediateKey: stdout + "\n" };
  }),
  leafCase("an imported leaf from another CA without a chain", "cert.pem", /expected a certificate issued by the stack's CA/, async () => {
    const other = await mint({ name: "Other CA", ca: true });
    const leaf = await mint({ name: "core-data", issuer: other });
    return { cert: leaf.pem, key: leaf.keyPem };
  }),
  leafCase("an expired imported leaf", "cert.pem", /it expired on/, async (set) => {
    const leaf = await mint({ name: "core-data", issuer: set.intermediate, notBefore: daysFromNow(-10), notAfter: daysFromNow(-1) });
    return { cert: leaf.pem, key: leaf.keyPem };
  }),
  leafCase("an imported leaf with the wrong key", "key.pem", /this key belongs to another certificate/, async (set) => {
    const leaf = await mint({ name: "core-data", issuer: set.intermediate });
    return { cert: leaf.pem, key: (await mint({ name: "x" })).keyPem };
  }),
  leafCase("an imported leaf whose chain.pem does not verify", "chain.pem", /the chain does not verify/, async (set) => {
    const leaf = await mint({ name: "core-data", issuer: set.intermediate });
    return { cert: leaf.pem, key: leaf.keyPem, chain: (await mint({ name: "Unrelated CA", ca: true })).pem };
  }),
  leafCase("an imported leaf without key.pem", "key.pem", /expected a readable PEM file \(ENOENT\)/, async (set) => {
    const leaf = await mint({ name: "core-data", issuer: set.intermediate });
    return { cert: leaf.pem };
  }),
  leafCase(
    "an imported leaf without a chain in ephemeral mode",
    "cert.pem",
    /expected a chain\.pem beside it/,
    async (set) => {
      const leaf = await mint({ name: "core-data", issuer: set.intermediate });
      return { cert: leaf.pem, key: leaf.keyPem };
    },
    true,
  ),
];
