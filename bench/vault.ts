// secretstore-setup's stage time for 20 and 200 services against a real OpenBao started by the
// project's launcher (raft storage, TLS verified by name). Runs, each timed alone:
//   first     init, encrypt the keyring, unseal, KV mount, policies, a token per service
//   rerun     Vault unsealed, every token on disk still valid: generate-root, check, keep all
//   restart   OpenBao restarted (sealed): unseal, generate-root, keep all tokens
//   reboot    empty tmpfs and a sealed OpenBao: unseal, a new token per service, revoke the old
// Peer, same per-service work in the same run: the `bao` CLI once per policy and per token
// (the shell entrypoint habit), with a root token from generate-root in its environment.
// Usage: node --import tsx bench/vault.ts [--sizes 20,200]   (needs `make bao`)
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { findBaoBinary } from "../src/servers/openbao-process.js";
import { servicePolicy } from "../src/vault/policies.js";
import { inspectVault } from "../test/support/vault-inspect.js";
import { startVaultStack, type VaultStack } from "../test/support/vault-stack.js";
// @ts-expect-error: plain JS helpers shared by the benchmarks
import { fmt, saveResult, table } from "./lib.mjs";
import { caBundlePath, servicePath } from "../src/volume/layout.js";

const sizesArg = process.argv.indexOf("--sizes");
const SIZES = sizesArg > 0 ? process.argv[sizesArg + 1]!.split(",").map(Number) : [20, 200];

async function timedSetup(stack: VaultStack, label: string): Promise<number> {
  const t0 = performance.now();
  const run = await stack.runSetup();
  const ms = performance.now() - t0;
  if (!run.ok) throw new Error(`${label}: ${run.failures.map((f) => f.message).join("; ")}`);
  return ms;
}

async function baoCliPeer(stack: VaultStack, n: number): Promise<number> {
  await using inspector = await inspectVault(stack.config, stack.ikmFile);
  const bao = findBaoBinary();
  const env = {
    BAO_ADDR: stack.config.vault.address,
    BAO_CACERT: caBundlePath(stack.config.secretsDir),
    BAO_TLS_SERVER_NAME: stack.config.vault.service,
    BAO_TOKEN: inspector.root.api.token,
    PATH: process.env.PATH ?? "",
  };
  const work = join(stack.dir, "peer");
  await rm(work, { recursive: true, force: true });
  await execa("mkdir", ["-p", work]);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const name = `peer-${i}`;
    const policyFile = join(work, `${name}.hcl`);
    await writeFile(policyFile, servicePolicy(stack.config.vault.kvMount, name));
    await execa(bao, ["policy", "write", `svc-${name}`, policyFile], { env });
    const { stdout } = await execa(bao, ["token", "create", "-orphan", "-no-default-policy", `-policy=svc-${name}`, "-period=24h", "-format=json"], { env });
    await writeFile(join(work, `${name}.token.json`), stdout, { mode: 0o600 });
  }
  return performance.now() - t0;
}

const rows: (string | number)[][] = [];
const results: Record<string, unknown>[] = [];
for (const n of SIZES) {
  const services = Array.from({ length: n }, (_, i) => ({ name: `svc-${i}` }));
  const stack = await startVaultStack({ setup: false, config: { services } });
  try {
    const first = await timedSetup(stack, "first");
    const rerun = await timedSetup(stack, "rerun");
    await stack.restartBao();
    const restart = await timedSetup(stack, "restart");
    for (const s of [...stack.config.services.map((x) => x.name), "bootgate"]) await rm(servicePath(stack.config.secretsDir, s, "token"), { force: true });
    await stack.restartBao();
    const reboot = await timedSetup(stack, "reboot");
    const peer = await baoCliPeer(stack, n);
    const tokens = n + 2; // services, the vault service itself, bootgate
    rows.push([n, fmt(first), fmt(rerun), fmt(restart), fmt(reboot), fmt(peer), `${(peer / reboot).toFixed(1)}x`]);
    results.push({
      services: n,
      tokens,
      firstMs: first,
      rerunMs: rerun,
      restartMs: restart,
      rebootMs: reboot,
      baoCliPeerMs: peer,
      peerOverReboot: peer / reboot,
    });
  } finally {
    await stack[Symbol.asyncDispose]();
  }
}
console.log(table(["services", "first ms", "rerun ms", "restart ms", "reboot ms", "bao CLI peer ms", "peer/reboot"], rows));
console.log(`saved ${saveResult("vault", { results })}`);
