// A throwaway CA made with the openssl CLI, laid out like pki-init's output, for the database
// tests to run on their own: <secretsDir>/ca/ca.pem and <secretsDir>/<service>/{cert,key,ca}.pem.
import { chmod, chown, copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { caBundlePath, caDir, serviceDir, servicePath } from "../../src/volume/layout.js";

export interface OpensslLeaf {
  name: string;
  uid?: number;
  gid?: number;
}

export async function opensslPki(secretsDir: string, leaves: OpensslLeaf[], work: string): Promise<void> {
  await mkdir(caDir(secretsDir), { recursive: true });
  const caKey = join(work, "ca.key");
  const caPem = caBundlePath(secretsDir);
  await execa("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", caKey]);
  await execa("openssl", [
    "req",
    "-x509",
    "-new",
    "-key",
    caKey,
    "-subj",
    "/CN=bootgate test CA",
    "-days",
    "2",
    "-out",
    caPem,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  for (const leaf of leaves) {
    const dir = serviceDir(secretsDir, leaf.name);
    await mkdir(dir, { recursive: true });
    const key = servicePath(secretsDir, leaf.name, "key");
    const csr = join(work, `${leaf.name}.csr`);
    const ext = join(work, `${leaf.name}.ext`);
    await execa("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
    await execa("openssl", ["req", "-new", "-key", key, "-subj", `/CN=${leaf.name}`, "-out", csr]);
    await writeFile(ext, `subjectAltName=DNS:${leaf.name},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n`);
    await execa("openssl", [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      caPem,
      "-CAkey",
      caKey,
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      ext,
      "-out",
      servicePath(secretsDir, leaf.name, "cert"),
    ]);
    await copyFile(caPem, servicePath(secretsDir, leaf.name, "ca"));
    await chmod(key, 0o600);
    await chmod(dir, 0o711);
    if (leaf.uid !== undefined) await chown(key, leaf.uid, leaf.gid ?? -1);
  }
}
