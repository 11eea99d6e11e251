import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.js";
import { configRefusal, parseConfig } from "../../support/config-text.js";
import { tempDir } from "../../support/tmp-dir.js";

describe("the agent section and pki.renewBefore", () => {
  it("should default agent.listen to 127.0.0.1:9464", () => {
    expect(parseConfig("services: []\n").agent.listen).toEqual({ host: "127.0.0.1", port: 9464 });
  });

  it("should read a host name and a bracketed IPv6 address", () => {
    expect(parseConfig("services: []\nagent:\n  listen: bootgate.internal:443\n").agent.listen).toEqual({ host: "bootgate.internal", port: 443 });
    expect(parseConfig("services: []\nagent:\n  listen: '[::1]:9464'\n").agent.listen).toEqual({ host: "::1", port: 9464 });
  });

  it("should allow renewBefore equal to the validity", () => {
    const c = parseConfig("services: []\npki:\n  validity: 90s\n  renewBefore: 90s\n");
    expect(c.pki).toMatchObject({ validityMs: 90_000, renewBeforeMs: 90_000 });
  });

  it("should renew at 2/3 of a short lifetime when renewBefore is unset, and 15d before the end of a long one", () => {
    expect(parseConfig("services: []\npki:\n  validity: 90s\n").pki.renewBeforeMs).toBe(30_000);
    expect(parseConfig("services: []\npki:\n  validity: 365d\n").pki.renewBeforeMs).toBe(15 * 86_400_000);
  });

  const BAD: [string, string, string, RegExp][] = [
    ["a renewBefore longer than the validity", "services: []\npki:\n  validity: 90s\n  renewBefore: 91s\n", "pki.renewBefore", /at most pki\.validity/],
    ["an agent.listen without a port", "services: []\nagent:\n  listen: 127.0.0.1\n", "agent.listen", /host:port/],
    ["an agent.listen port out of range", "services: []\nagent:\n  listen: 127.0.0.1:70000\n", "agent.listen", /port 1-65535/],
    ["an agent.listen that is a number", "services: []\nagent:\n  listen: 9464\n", "agent.listen", /host:port/],
    ["an unknown agent key", "services: []\nagent:\n  port: 1\n", "agent", /unknown key `port`/],
  ];

  it.each(BAD)("should refuse %s naming the field", (_title, text, path, expected) => {
    const issue = configRefusal(text).issues.find((i) => i.path === path);
    expect(issue).toBeDefined();
    expect(issue!.message).toMatch(expected);
  });

  it.each(BAD)("should exit 2 naming the file and field, writing nothing, for %s", async (_title, text, path) => {
    await using dir = await tempDir();
    const file = join(dir.path, "bootgate.yaml");
    await writeFile(file, `secretsDir: ./secrets\nstateDir: ./state\n${text}`);
    const { code, stderr } = await runCli(["agent", "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toContain(`${path}:`);
    expect(await readdir(dir.path)).toEqual(["bootgate.yaml"]);
  });
});
