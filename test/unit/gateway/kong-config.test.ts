// gateway.kong.mode and the declarative settings: defaults that change nothing for existing
// users, bad values refused with their path (exit 2, nothing written), and the adapter chosen.
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adapterFor } from "../../../src/gateway/adapter-for.js";
import { kongConfigDir } from "../../../src/gateway/gateway-paths.js";
import { KongAdapter } from "../../../src/gateway/kong-adapter.js";
import { KongDeclarativeAdapter } from "../../../src/gateway/kong-declarative-adapter.js";
import { runCli } from "../../support/cli.js";
import { configRefusal, parseConfig } from "../../support/config-text.js";
import { tempDir } from "../../support/tmp-dir.js";

const parse = (text: string) => parseConfig(text);
const KONG = "services:\n  - name: gateway\n    uid: 1000\n    gid: 1000\n  - name: core-data\ngateway:\n  kind: kong\n";
const refusal = (text: string) => configRefusal(text);

describe("gateway.kong config", () => {
  it("should default to the Admin API, so existing configs keep their behaviour", () => {
    const c = parse(KONG);
    expect(c.gateway.kong).toMatchObject({ mode: "admin-api", adminUrl: "http://127.0.0.1:8001", proxyPort: 8443, reloadTimeoutMs: 15_000 });
    expect(c.gateway.kong.configDir).toBeUndefined();
    expect(adapterFor(c, "")).toBeInstanceOf(KongAdapter);
  });

  it("should pick the declarative adapter, writing to <secretsDir>/<gateway>/kong by default", () => {
    const c = parse(`${KONG}  kong:\n    mode: declarative\n`);
    expect(kongConfigDir(c)).toBe("/etc/bg/secrets-volume/gateway/kong");
    const adapter = adapterFor(c, "");
    expect(adapter).toBeInstanceOf(KongDeclarativeAdapter);
    expect((adapter as KongDeclarativeAdapter).configFile).toBe("/etc/bg/secrets-volume/gateway/kong/kong.yml");
  });

  it("should resolve a relative configDir against the config file's folder", () => {
    const c = parse(`${KONG}  kong:\n    mode: declarative\n    configDir: ./run/kong\n    proxyPort: 9443\n    reloadTimeout: 30s\n`);
    expect(kongConfigDir(c)).toBe("/etc/bg/run/kong");
    expect(c.gateway.kong).toMatchObject({ proxyPort: 9443, reloadTimeoutMs: 30_000 });
  });

  it.each([
    ["an unknown mode", "  kong:\n    mode: dbless\n", "gateway.kong.mode", /expected `admin-api` or `declarative`/],
    ["a proxy port out of range", "  kong:\n    proxyPort: 0\n", "gateway.kong.proxyPort", /port between 1 and 65535/],
    ["an empty configDir", "  kong:\n    configDir: ''\n", "gateway.kong.configDir", /non-empty path/],
    ["a reload timeout that is not a duration", "  kong:\n    reloadTimeout: soon\n", "gateway.kong.reloadTimeout", /duration/],
    ["an unknown kong key", "  kong:\n    declarative: true\n", "gateway.kong", /unknown key `declarative`/],
  ])("should refuse %s, naming the field", (_title, section, path, expected) => {
    const issue = refusal(`${KONG}${section}`).issues.find((i) => i.path === path);
    expect(issue).toBeDefined();
    expect(issue!.message).toMatch(expected);
  });

  it("should exit 2 naming the file and field, and write nothing, for a bad mode", async () => {
    await using dir = await tempDir();
    const file = join(dir.path, "bootgate.yaml");
    await writeFile(file, `secretsDir: ./secrets\nstateDir: ./state\n${KONG}  kong:\n    mode: dbless\n`);
    const { code, stderr } = await runCli(["run", "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toContain("gateway.kong.mode:");
    expect(await readdir(dir.path)).toEqual(["bootgate.yaml"]);
  });

  it.each(["admin-api", "declarative"])(
    "should exit 2 before writing anything, naming the route map and the route, for an upstream Kong cannot verify by name (%s)",
    async (mode) => {
      await using dir = await tempDir();
      const file = join(dir.path, "bootgate.yaml");
      const routes = join(dir.path, "routes.toml");
      await writeFile(
        routes,
        `[[routes]]\nname = "ok"\npath = "/ok"\nupstream = "https://core-data:1"\n\n[[routes]]\nname = "by-ip"\npath = "/ip"\nupstream = "https://10.0.0.7:8443"\nservice = "core-data"\n`,
      );
      await writeFile(file, `secretsDir: ./secrets\nstateDir: ./state\n${KONG}  routes: ./routes.toml\n  kong:\n    mode: ${mode}\n`);
      const { code, stderr } = await runCli(["run", "--config", file]);
      expect(code).toBe(2);
      expect(stderr).toContain(routes);
      expect(stderr).toContain('routes[1] ("by-ip").upstream: expected a service name');
      expect(stderr).toContain("https://core-data:8443");
      expect((await readdir(dir.path)).sort()).toEqual(["bootgate.yaml", "routes.toml"]);
    },
  );

  it.each(["admin-api", "declarative"])("should exit 2 before writing anything, naming the route, for a uwsgi route (Kong has none) (%s)", async (mode) => {
    await using dir = await tempDir();
    const file = join(dir.path, "bootgate.yaml");
    const routes = join(dir.path, "routes.toml");
    await writeFile(routes, `[[routes]]\nname = "web"\npath = "/web"\nscheme = "uwsgi"\nupstream = "suwsgi://core-data:3031"\n`);
    await writeFile(file, `secretsDir: ./secrets\nstateDir: ./state\n${KONG}  routes: ./routes.toml\n  kong:\n    mode: ${mode}\n`);
    const { code, stderr } = await runCli(["run", "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(routes);
    expect(stderr).toContain('routes[0] ("web").scheme: expected "https": Kong has no uwsgi upstream');
    expect((await readdir(dir.path)).sort()).toEqual(["bootgate.yaml", "routes.toml"]);
  });
});
