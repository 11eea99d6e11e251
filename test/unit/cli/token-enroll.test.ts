// `bootgate token --enroll` and `bootgate enroll` refuse bad usage with exit 2 before they reach
// Vault or the network.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.js";
import { tempDir } from "../../support/tmp-dir.js";

const CONFIG = "vault:\n  ikm: { file: ./ikm }\nservices:\n  - name: vault\n  - name: core-data\n  - name: edge-logs\n    remote: true\n";

describe("bootgate token --enroll and bootgate enroll: usage", () => {
  it("should refuse an enrollment token for a service that is not remote, or unknown, with exit 2", async () => {
    await using dir = await tempDir();
    const file = join(dir.path, "bootgate.yaml");
    await writeFile(file, CONFIG);
    const local = await runCli(["token", "--enroll", "core-data", "--config", file]);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/`core-data` to be marked `remote: true`/);
    const unknown = await runCli(["token", "--enroll", "nobody", "--config", file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/name a service of .*bootgate\.yaml, got `nobody`/);
    const ttl = await runCli(["token", "--enroll", "edge-logs", "--ttl", "30d", "--config", file]);
    expect(ttl.code).toBe(2);
    expect(ttl.stderr).toMatch(/between 1s and 7d/);
  });

  const BAD: [string, string[], RegExp][] = [
    ["no --server", ["--service", "a", "--out", "X", "--fingerprint", "ab".repeat(32), "--token", "t"], /expected `--server`/],
    ["an http:// server", ["--server", "http://h:1", "--service", "a", "--out", "X", "--fingerprint", "ab".repeat(32), "--token", "t"], /https:\/\/HOST:PORT/],
    [
      "both pin and PSK",
      ["--server", "https://h:1", "--service", "a", "--out", "X", "--fingerprint", "ab".repeat(32), "--psk-file", "/p", "--token", "t"],
      /exactly one of/,
    ],
    ["a short fingerprint", ["--server", "https://h:1", "--service", "a", "--out", "X", "--fingerprint", "abc", "--token", "t"], /SHA-256 in hex/],
    [
      "no token with a pin",
      ["--server", "https://h:1", "--service", "a", "--out", "X", "--fingerprint", "ab".repeat(32)],
      /expected `--token` or `--token-file`/,
    ],
    [
      "a service that is no DNS label",
      ["--server", "https://h:1", "--service", "../x", "--out", "X", "--fingerprint", "ab".repeat(32), "--token", "t"],
      /DNS label/,
    ],
  ];

  it.each(BAD)("should refuse %s with exit 2 and write nothing", async (_title, args, reason) => {
    await using dir = await tempDir();
    const out = join(dir.path, "out");
    const { code, stderr } = await runCli(["enroll", ...args.map((a) => (a === "X" ? out : a))]);
    expect(code).toBe(2);
    expect(stderr).toMatch(reason);
    expect(existsSync(out)).toBe(false);
  });
});
