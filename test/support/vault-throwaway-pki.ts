// Until pki-init is registered: a throwaway CA and the vault service's leaf made with openssl,
// laid out the way pki-init lays them out (<secretsDir>/ca/ca.pem, <secretsDir>/vault/*.pem).
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

export async function throwawayVaultPki(secretsDir: string, workDir: string, service: string, dns: string[] = []): Promise<void> {
  const ca = join(workDir, "throwaway-ca");
  await mkdir(ca, { recursive: true, mode: 0o700 });
  const ssl = (...args: string[]) => execa("openssl", args, { cwd: ca, stdin: "ignore" });
  await ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
    "-subj", "/CN=bootgate test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  await ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=${service}`);
  // No IP SAN on purpose: clients must verify by the service name even at 127.0.0.1.
  await writeFile(join(ca, "leaf.ext"), `subjectAltName=${[service, ...dns].map((d) => `DNS:${d}`).join(",")}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  await ssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext");
  const caPem = await readFile(join(ca, "ca.pem"));
  const leafPem = await readFile(join(ca, "leaf.pem"));
  await mkdir(join(secretsDir, "ca"), { recursive: true });
  await mkdir(join(secretsDir, service), { recursive: true, mode: 0o700 });
  await writeFile(join(secretsDir, "ca", "ca.pem"), caPem);
  await writeFile(join(secretsDir, service, "ca.pem"), caPem);
  await writeFile(join(secretsDir, service, "cert.pem"), Buffer.concat([leafPem, caPem]));
  await writeFile(join(secretsDir, service, "key.pem"), await readFile(join(ca, "leaf.key")), { mode: 0o600 });
  await rm(join(ca, "ca.key"), { force: true });
}
