// `bootgate enroll --renew` (the built CLI, as a separate process) with 60 s leaves renewed 40 s
// before their end (a renewal every ~20 s, to keep the file short): it renews at
// the agent's renewal point through mutual TLS with its current leaf, at least twice, with no gap
// in validity, signals its command after each renewal, and goes on across a restart of the agent.
import { X509Certificate } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { poll } from "../../../src/util/poll.js";
import { startEnrollStack } from "../../support/enroll-stack.js";
import { BOOTGATE_BIN } from "../../support/pki.js";
import { tempDir } from "../../support/tmp-dir.js";

const RENEWALS = 2;

describe("bootgate enroll --renew (real OpenBao, bootgate agent restarted in between)", () => {
  it("should renew 60 s leaves at least twice over mutual TLS with no validity gap, signalling its command each time", async () => {
    await using stack = await startEnrollStack({ config: { pki: { validity: "60s", renewBefore: "40s" } } });
    await using work = await tempDir("bootgate-enrollee-");
    const out = join(work.path, "edge-logs");
    const tokenFile = join(work.path, "token");
    await writeFile(tokenFile, (await stack.token("edge-logs")) + "\n", { mode: 0o600 });
    const hups = join(work.path, "hups");
    // The command: counts the SIGHUPs it gets, as a server reloading its certificate would.
    const script = `const fs=require('fs');let n=0;fs.writeFileSync(process.argv[1],'0');process.on('SIGHUP',()=>fs.writeFileSync(process.argv[1],String(++n)));setInterval(()=>{},1000)`;
    const child = execa(
      process.execPath,
      [
        BOOTGATE_BIN,
        "enroll",
        "--server",
        stack.url,
        "--service",
        "edge-logs",
        "--out",
        out,
        "--fingerprint",
        stack.fingerprint,
        "--token-file",
        tokenFile,
        "--renew",
        "--",
        process.execPath,
        "-e",
        script,
        hups,
      ],
      { reject: false, stdin: "ignore", env: { BOOTGATE_CONFIG: "" } },
    );
    const stderr: string[] = [];
    child.stderr?.on("data", (c: Buffer) => stderr.push(c.toString()));
    try {
      const leaves: X509Certificate[] = [];
      let restarted = false;
      await poll(
        async () => {
          if (child.exitCode !== null) throw new Error(`bootgate enroll exited ${child.exitCode}: ${stderr.join("")}`);
          let pem: string;
          try {
            pem = await readFile(join(out, "cert.pem"), "utf8");
          } catch {
            return undefined;
          }
          const now = Date.now();
          const leaf = new X509Certificate(pem);
          // Whatever is on disk is valid at every look.
          expect(
            new Date(leaf.validTo).getTime(),
            `the leaf on disk ran out; enroll said: ${stderr.join("")}; agent said: ${stack.lines.filter((l) => /enroll/.test(l)).join(" / ")}`,
          ).toBeGreaterThan(now);
          if (leaves.at(-1)?.serialNumber !== leaf.serialNumber) leaves.push(leaf);
          if (leaves.length === 2 && !restarted) {
            restarted = true;
            await stack.stopAgent();
            await stack.startAgent();
          }
          return leaves.length > RENEWALS ? true : undefined;
        },
        { timeoutMs: 210_000, intervalMs: 500, what: `the enrollee to renew ${RENEWALS} times` },
      );
      // No gap: each leaf starts before the one it replaced ends.
      for (let i = 1; i < leaves.length; i++) {
        expect(new Date(leaves[i]!.validFrom).getTime()).toBeLessThan(new Date(leaves[i - 1]!.validTo).getTime());
      }
      expect(restarted).toBe(true);
      const log = stack.lines.join("\n");
      expect(log.match(/signed a leaf for edge-logs \(renewal with serial/g)?.length).toBeGreaterThanOrEqual(1);
      expect(stderr.join("")).toMatch(/renewed edge-logs: serial/);
      await poll(async () => (Number(await readFile(hups, "utf8").catch(() => "0")) >= RENEWALS ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 200,
        what: "the command to get a SIGHUP per renewal",
      });
    } finally {
      child.kill("SIGTERM");
      await child;
    }
  }, 300_000);
});
