import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { beginBoot, gateIsCurrent, kernelBootId, listGates, openGate, readBoot, readGate } from "../../../src/gates/gate-file.js";
import { gatePath, gatesDir } from "../../../src/volume/layout.js";
import { tempDir } from "../../support/tmp-dir.js";

describe("gate files", () => {
  it("should write a gate as one line of JSON with its name, time and boot id", async () => {
    await using dir = await tempDir();
    const { bootId } = await beginBoot(dir.path);
    await openGate(dir.path, "pki-ready", bootId, "pki-init");
    const text = await readFile(gatePath(dir.path, "pki-ready"), "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.trim().split("\n")).toHaveLength(1);
    const record = JSON.parse(text);
    expect(record).toMatchObject({ gate: "pki-ready", bootId, stage: "pki-init" });
    expect(Date.parse(record.time)).not.toBeNaN();
    // The POSIX waiter greps for this exact spelling.
    expect(text).toContain(`"bootId":"${bootId}"`);
  });

  it("should remove the gates of earlier boots when a boot begins", async () => {
    await using dir = await tempDir();
    const first = await beginBoot(dir.path);
    await openGate(dir.path, "pki-ready", first.bootId);
    const second = await beginBoot(dir.path);
    expect(second.bootId).not.toBe(first.bootId);
    expect(await readGate(dir.path, "pki-ready")).toBeUndefined();
    expect((await readBoot(dir.path))!.bootId).toBe(second.bootId);
  });

  it("should not count a gate from another boot as open", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    const gate = await openGate(dir.path, "vault-ready", "an-earlier-boot");
    expect(gateIsCurrent(gate, boot)).toBe(false);
    expect(gateIsCurrent({ ...gate, bootId: boot.bootId }, boot)).toBe(true);
  });

  it("should not count a gate written under another kernel boot", async () => {
    const boot = { bootId: "b", time: "", kernelBootId: kernelBootId() };
    expect(kernelBootId()).toMatch(/^[0-9a-f-]{36}$/);
    expect(gateIsCurrent({ gate: "g", time: "", bootId: "b", kernelBootId: "00000000-0000-0000-0000-000000000000" }, boot)).toBe(false);
  });

  it("should list only gate files, oldest first, leaving out the boot file, the waiter and temporaries", async () => {
    await using dir = await tempDir();
    const { bootId } = await beginBoot(dir.path);
    await openGate(dir.path, "a", bootId);
    await openGate(dir.path, "b", bootId);
    await writeFile(join(gatesDir(dir.path), ".b.123.tmp"), "{half");
    expect((await listGates(dir.path)).map((g) => g.gate)).toEqual(["a", "b"]);
    expect((await readdir(gatesDir(dir.path))).sort()).toEqual([".b.123.tmp", "a", "b", "boot"]);
  });
});
