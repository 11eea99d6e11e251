// A rerun within the same boot finds this boot's ephemeral CA in ca/ca.pem. Its keys are gone,
// so it can no longer issue, but the leaves it issued may all still be kept. A CA from another
// kernel boot (a volume that is not tmpfs and outlived a reboot) is never taken up again.
import { X509Certificate as NodeCertificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { BOOT_UNIT_PREFIX } from "./ephemeral-ca.js";
import { certNotAfter, type IssuingCa } from "./issuing-ca.js";
import { isSignedBy } from "./material-checks.js";
import { splitCertificates } from "./pem.js";

export async function findThisBootsCa(bundleFile: string, kernelBootId: string | undefined, now: Date): Promise<IssuingCa | undefined> {
  if (kernelBootId === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(bundleFile, "utf8");
  } catch {
    return undefined;
  }
  const blocks = splitCertificates(text);
  if (blocks.length !== 2) return undefined;
  let root: NodeCertificate, intermediate: NodeCertificate;
  try {
    [root, intermediate] = blocks.map((b) => new NodeCertificate(b)) as [NodeCertificate, NodeCertificate];
  } catch {
    return undefined;
  }
  const mark = `OU=${BOOT_UNIT_PREFIX}${kernelBootId}`;
  if (!root.subject.split("\n").includes(mark) || !intermediate.subject.split("\n").includes(mark)) return undefined;
  if (!isSignedBy(root, root) || !isSignedBy(intermediate, root)) return undefined;
  const notAfter = new Date(Math.min(certNotAfter(root).getTime(), certNotAfter(intermediate).getTime()));
  if (notAfter <= now) return undefined;
  return { mode: "ephemeral", root, intermediate, bundlePem: blocks.join(""), chainPem: blocks[1]!, notAfter };
}
