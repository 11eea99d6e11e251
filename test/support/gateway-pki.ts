// A throwaway CA made with the openssl CLI, for gateway tests that must not depend on pki-init:
// a second, foreign CA (the "untrusted upstream" case) and rotation certificates.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

export interface TestCa {
  certPem: string;
  certPath: string;
  keyPath: string;
}

export interface TestLeaf {
  certPem: string;
  keyPem: string;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

export async function makeTestCa(dir: string, name: string): Promise<TestCa> {
  const certPath = join(dir, `${name}-ca.pem`);
  const keyPath = join(dir, `${name}-ca.key`);
  await execa("openssl", [
    "req",
    "-x509",
    ...EC,
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-days",
    "2",
    "-subj",
    `/CN=${name} test CA`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { certPem: await readFile(certPath, "utf8"), certPath, keyPath };
}

/** Signs `<base>.csr` with `ca` and the extensions in `<base>.ext` into `<base>.pem`. */
async function signCsr(base: string, ca: TestCa, days: number): Promise<void> {
  const files = ["-in", `${base}.csr`, "-extfile", `${base}.ext`, "-out", `${base}.pem`];
  await execa("openssl", ["x509", "-req", ...files, "-CA", ca.certPath, "-CAkey", ca.keyPath, "-CAcreateserial", "-days", String(days)]);
}

/** A leaf for `name` (SAN DNS:name and IP 127.0.0.1), usable as server and client certificate. */
export async function issueTestLeaf(dir: string, ca: TestCa, name: string, tag = name): Promise<TestLeaf> {
  const base = join(dir, `${tag}-${Math.random().toString(16).slice(2)}`);
  await writeFile(
    `${base}.ext`,
    `subjectAltName=DNS:${name},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n`,
  );
  await execa("openssl", ["req", ...EC, "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", `/CN=${name}`]);
  await signCsr(base, ca, 1);
  return { certPem: await readFile(`${base}.pem`, "utf8"), keyPem: await readFile(`${base}.key`, "utf8") };
}

/**
 * An import folder for `pki.ca: { import: DIR }` (root.pem, intermediate.pem,
 * intermediate-key.pem): with the intermediate's key at hand a test can issue the gateway a new
 * certificate from the stack's own CA later (rotation), which an ephemeral CA would not allow.
 */
export async function makeImportedStackCa(dir: string): Promise<{ importDir: string; root: TestCa; intermediate: TestCa }> {
  const { mkdir } = await import("node:fs/promises");
  const importDir = join(dir, "ca-import");
  await mkdir(importDir, { recursive: true });
  const root = await makeTestCa(dir, "stack-root");
  const base = join(dir, "stack-intermediate");
  await writeFile(
    `${base}.ext`,
    "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
  );
  await execa("openssl", ["req", ...EC, "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", "/CN=stack test intermediate"]);
  await signCsr(base, root, 2);
  const intermediate: TestCa = { certPem: await readFile(`${base}.pem`, "utf8"), certPath: `${base}.pem`, keyPath: `${base}.key` };
  await writeFile(join(importDir, "root.pem"), root.certPem);
  await writeFile(join(importDir, "intermediate.pem"), intermediate.certPem);
  await writeFile(join(importDir, "intermediate-key.pem"), await readFile(intermediate.keyPath, "utf8"), { mode: 0o600 });
  return { importDir, root, intermediate };
}
