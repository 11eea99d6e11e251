// `make up` to the summary on a warm machine, split by stage: the make prerequisites (a no-op
// when built and installed), then `bootgate up --local` to its ready line, for the first boot
// (Vault initialized, roles created) and a reboot (unsealed from the keyring, passwords kept).
// Usage: node bench/up.mjs   (needs `make build tools`; ports are picked free)
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, saveResult, table } from "./lib.mjs";

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const t0 = performance.now();
execFileSync("make", ["-s", "build", "tools"], { cwd: ROOT, stdio: "ignore" });
const makeMs = performance.now() - t0;

const dir = mkdtempSync(join(tmpdir(), "bootgate-bench-up-"));
chmodSync(dir, 0o711);
const env = {
  ...process.env,
  BOOTGATE_VAULT_ADDR: `https://127.0.0.1:${await freePort()}`,
  BOOTGATE_PG_PORT: String(await freePort()),
  BOOTGATE_GATEWAY_PORT: String(await freePort()),
};

async function boot(label) {
  const start = performance.now();
  const child = spawn(process.execPath, [join(ROOT, "bin/bootgate.js"), "up", "--local", "--json"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let buffer = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const ready = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      buffer += d;
      for (const line of buffer.split("\n").slice(0, -1)) {
        const e = JSON.parse(line);
        if (e.type === "up-ready") resolve(e);
      }
      buffer = buffer.slice(buffer.lastIndexOf("\n") + 1);
    });
    child.on("exit", (code) => reject(new Error(`up exited ${code}: ${err}`)));
  });
  const totalMs = performance.now() - start;
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGINT");
  await exited;
  return { label, totalMs, stageTimes: ready.stageTimes };
}

try {
  const runs = [await boot("first boot"), await boot("reboot")];
  const stages = ["pki-init", "secretstore-setup", "db-seed", "gateway-cert", "proxy-setup"];
  console.log(`\nmake build tools (warm, no-op): ${makeMs.toFixed(0)} ms\n`);
  console.log(
    table(
      ["boot", "to summary (ms)", ...stages],
      runs.map((r) => [r.label, r.totalMs.toFixed(0), ...stages.map((s) => r.stageTimes[s] ?? "-")]),
    ),
  );
  console.log("\nsecretstore-setup includes waiting for OpenBao to start and answer (it starts at pki-ready).");
  console.log(`saved ${saveResult("up", { makeMs, runs })}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
