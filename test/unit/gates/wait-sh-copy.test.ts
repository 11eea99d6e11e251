// compose/wait.sh is the generated waiter, committed so compose can mount it into images without
// Node before any boot has written one: it must stay byte-identical to what bootgate writes.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { WAITER_SH } from "../../../src/gates/waiter-script.js";

describe("compose/wait.sh", () => {
  it("should be exactly the waiter bootgate writes at every boot (regenerate with `make compose/wait.sh`)", () => {
    expect(readFileSync(resolve(import.meta.dirname, "../../../compose/wait.sh"), "utf8")).toBe(WAITER_SH);
  });
});
