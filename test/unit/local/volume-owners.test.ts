// BOOTGATE_VOLUME_OWNERS (compose/public-images.yml): each data volume's root to its service.
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { UsageError } from "../../../src/errors.js";
import { applyVolumeOwners, parseVolumeOwners } from "../../../src/local/volume-owners.js";
import { tempDir } from "../../support/tmp-dir.js";

const config = parseConfigText("services:\n  - { name: vault, uid: 1001, gid: 1002 }\n  - { name: postgres, uid: 100 }\n  - { name: nouid }\n", {
  source: "/etc/bootgate/bootgate.yaml",
  baseDir: "/etc/bootgate",
  env: {},
});

describe("BOOTGATE_VOLUME_OWNERS", () => {
  it("should map each path to its service's uid and gid (gid defaults to the uid)", () => {
    expect(parseVolumeOwners(" /volumes/vault-data=vault , /volumes/pg=postgres,", config)).toEqual([
      { path: "/volumes/vault-data", service: "vault", uid: 1001, gid: 1002 },
      { path: "/volumes/pg", service: "postgres", uid: 100, gid: 100 },
    ]);
    expect(parseVolumeOwners("", config)).toEqual([]);
  });

  it("should refuse relative paths, unknown services, services without a uid and stray '=' naming the entry", () => {
    for (const bad of ["volumes/x=vault", "/x=ghost", "/x=nouid", "/x=vault=postgres", "/a/../etc=vault", "/x"]) {
      expect(() => parseVolumeOwners(`/ok=vault,${bad}`, config), bad).toThrow(UsageError);
      expect(() => parseVolumeOwners(bad, config), bad).toThrow(new RegExp(bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")));
    }
  });

  it("should give each root to its owner with mode 0700", async () => {
    await using dir = await tempDir();
    const path = join(dir.path, "vault-data");
    await mkdir(path, { mode: 0o755 });
    if (process.getuid?.() !== 0) throw new Error("chown to another uid needs root (as CI runs)");
    await applyVolumeOwners(parseVolumeOwners(`${path}=vault`, config));
    const info = await stat(path);
    expect([info.uid, info.gid, info.mode & 0o777]).toEqual([1001, 1002, 0o700]);
  });
});
