import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { HEAP_FLAGS, heapFlagsToSet } from "../../../src/cli/heap-flags.js";

const HEAP_FLAGS_MODULE = fileURLToPath(new URL("../../../src/cli/heap-flags.ts", import.meta.url));

// A child that keeps ~30 MB of small objects alive (as loading the dependencies does) and prints
// how much its young generation grew meanwhile (tsx's own loading may have grown it before).
const SURVIVORS = `
  ${"${IMPORT}"}
  const v8 = await import("node:v8");
  const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
  const before = newSpace();
  const kept = [];
  for (let i = 0; i < 400_000; i++) kept.push({ i, s: "x" + i, a: [i, i + 1] });
  console.log(JSON.stringify({ grown: newSpace() - before, kept: kept.length }));
`;

/** MB the young generation grew by while the objects piled up. */
async function youngGenerationGrowthMb(options: { tuned: boolean; nodeArgs?: string[] }): Promise<number> {
  const script = SURVIVORS.replace("${IMPORT}", options.tuned ? `await import(${JSON.stringify(HEAP_FLAGS_MODULE)});` : "");
  const r = await execa(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", "--input-type=module", "-e", script], {
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { grown: number; kept: number };
  expect(out.kept).toBe(400_000);
  return out.grown / (1024 * 1024);
}

describe("heap flags", () => {
  it("should set every tuning flag when node was started without them", () => {
    expect(heapFlagsToSet([])).toEqual([...HEAP_FLAGS]);
    expect(heapFlagsToSet(["--enable-source-maps", "--import", "tsx"])).toEqual([...HEAP_FLAGS]);
  });

  it("should leave a flag alone that node's arguments already set, in either spelling", () => {
    expect(heapFlagsToSet(["--semi-space-growth-factor=2"])).toEqual(["--heap-growing-percent=25"]);
    expect(heapFlagsToSet(["--heap_growing_percent=50"])).toEqual(["--semi-space-growth-factor=1"]);
  });

  it("should keep the young generation at its initial size while many objects survive", async () => {
    const untuned = await youngGenerationGrowthMb({ tuned: false });
    const tuned = await youngGenerationGrowthMb({ tuned: true });
    // Without the flags V8 doubles the nursery under this load; with them it never grows.
    expect(untuned).toBeGreaterThan(4);
    expect(tuned).toBe(0);
  });

  it("should let a growth factor given to node win over the tuning", async () => {
    expect(await youngGenerationGrowthMb({ tuned: true, nodeArgs: ["--semi-space-growth-factor=2"] })).toBeGreaterThan(4);
  });
});
