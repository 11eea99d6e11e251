// The compose overrides combined (compose/vault-cluster.yml, compose/checklist.yml), in either
// order and in subpath mode, from `docker compose config` alone (no container): the holder makes
// every folder any service mounts as a subpath of the secrets volume (a missing one fails that
// container's creation), and init and the agent get a config with both the cluster's nodes and
// the checklist's services. Each override used to replace the other's part: the cluster's holder
// command dropped the checklist's folders, and each mounted its own config at the same path.
import { execa } from "execa";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { COMPOSE_SH, REPO } from "../support/compose-stack.js";

interface Volume {
  type: string;
  source?: string;
  target: string;
  volume?: { subpath?: string };
}
interface Service {
  command?: string[];
  environment?: Record<string, string | null>;
  volumes?: Volume[];
}

const CLUSTER = "compose/vault-cluster.yml";
const CHECKLIST = "compose/checklist.yml";
const CLUSTER_FOLDERS = ["vault-0", "vault-1", "vault-2"];
const CHECKLIST_FOLDERS = ["web-app", "log-shipper", "log-collector"];

async function composeConfig(files: string[], subpath: boolean): Promise<Record<string, Service>> {
  const args = [COMPOSE_SH, "-p", "bgoverrides", ...files.flatMap((f) => ["-f", resolve(REPO, f)]), "config", "--format", "json"];
  const r = await execa("bash", args, { cwd: REPO, env: { BOOTGATE_COMPOSE_SUBPATH: subpath ? "1" : "0" }, timeout: 60_000 });
  return (JSON.parse(r.stdout) as { services: Record<string, Service> }).services;
}

/** Every folder of the secrets volume some service mounts as a subpath. */
const subpaths = (services: Record<string, Service>) =>
  [
    ...new Set(
      Object.values(services).flatMap((s) => (s.volumes ?? []).filter((v) => v.source === "secrets" && v.volume?.subpath).map((v) => v.volume!.subpath!)),
    ),
  ].sort();

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/**
 * Runs the holder's own folder-making part (its command up to `touch /tmp/ready`, with its
 * environment) with /secrets moved to a temporary folder; returns that folder.
 */
async function holderMakes(holder: Service): Promise<string> {
  const script = holder.command?.[2] ?? "";
  const cut = script.indexOf(" && touch /tmp/ready");
  expect(cut, script).toBeGreaterThan(0);
  const root = mkdtempSync(join(tmpdir(), "bg-holder-"));
  roots.push(root);
  const moved = (text: string) => text.replaceAll("/secrets", `${root}/secrets`);
  // `docker compose config` keeps compose's `$$` escapes; the container's sh sees `$`.
  const mkdir = moved(script.slice(0, cut).replaceAll("$$", "$"));
  const env = Object.fromEntries(Object.entries(holder.environment ?? {}).map(([k, v]) => [k, moved(v ?? "")]));
  await execa("sh", ["-c", mkdir], { env: { PATH: process.env.PATH, ...env }, extendEnv: false, timeout: 20_000 });
  return root;
}

describe("the compose overrides combined", () => {
  const combos: [string, string[], string[]][] = [
    ["the base stack", [], []],
    ["the cluster", [CLUSTER], CLUSTER_FOLDERS],
    ["the checklist", [CHECKLIST], CHECKLIST_FOLDERS],
    ["the cluster, then the checklist", [CLUSTER, CHECKLIST], [...CLUSTER_FOLDERS, ...CHECKLIST_FOLDERS]],
    ["the checklist, then the cluster", [CHECKLIST, CLUSTER], [...CLUSTER_FOLDERS, ...CHECKLIST_FOLDERS]],
  ];

  for (const [what, files, own] of combos) {
    it(`should have the holder make every folder mounted as a subpath, with ${what} in subpath mode`, async () => {
      const services = await composeConfig(files, true);
      const needed = subpaths(services);
      // The overrides' own folders are among them (their services and nodes mount them).
      expect(needed).toEqual(expect.arrayContaining([...own, "ca", ".gates", "vault"]));
      const root = await holderMakes(services.holder!);
      expect(needed.filter((f) => !existsSync(join(root, "secrets", f)))).toEqual([]);
    });
  }

  for (const [what, files] of combos.slice(3)) {
    for (const subpath of [true, false]) {
      it(`should give init and the agent the cluster's nodes and the checklist's services, with ${what} (${subpath ? "subpath" : "whole-volume"} mode)`, async () => {
        const services = await composeConfig(files, subpath);
        for (const name of ["init", "agent"]) {
          const s = services[name]!;
          const mount = (s.volumes ?? []).find((v) => v.target === "/etc/bootgate/bootgate.yaml");
          expect(mount?.source, name).toBe(resolve(REPO, "compose/checklist/bootgate.yaml"));
          const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v ?? ""]));
          const config = await loadConfig({ file: mount!.source!, env });
          expect(config.vault.cluster.names, name).toEqual(CLUSTER_FOLDERS);
          expect(
            config.services.map((x) => x.name),
            name,
          ).toEqual(expect.arrayContaining(CHECKLIST_FOLDERS));
        }
      });
    }
  }
});
