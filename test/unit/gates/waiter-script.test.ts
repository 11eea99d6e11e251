// The generated sh waiter's shape: the open-gate path without -r stays an exec with nothing
// started before it (a container's cold start), and the reload path forwards the stop signals.
import { describe, expect, it } from "vitest";
import { WAITER_SH } from "../../../src/gates/waiter-script.js";
import { SERVICE_FILES } from "../../../src/volume/layout.js";

const at = (text: string) => {
  const i = WAITER_SH.indexOf(text);
  expect(i, `the waiter holds ${text}`).toBeGreaterThanOrEqual(0);
  return i;
};

describe("the sh waiter (waiter-script.ts)", () => {
  it("should exec the command without -r before anything runs in the background", () => {
    const exec = at('[ -z "$reload" ] && exec "$@"');
    // No background job (`&` at a line's end) before the exec.
    expect(/&\n/.test(WAITER_SH.slice(0, exec))).toBe(false);
    expect(exec).toBeLessThan(at('"$@" &'));
  });

  it("should trap TERM, INT and HUP before it starts the child, and exit with the child's code", () => {
    const child = at('"$@" &');
    for (const sig of ["TERM", "INT", "HUP"]) expect(at(`trap 'pass ${sig}' ${sig}`)).toBeLessThan(child);
    expect(at('exit "$code"')).toBeGreaterThan(at('wait "$child"'));
  });

  it("should watch a folder's reload files, the same four `bootgate wait --reload-signal` watches", () => {
    expect(WAITER_SH).toContain(
      Object.values(SERVICE_FILES)
        .map((f) => `$w/${f}`)
        .join(" "),
    );
    expect(WAITER_SH).toMatch(/-r SIGNAL -w PATH/);
  });
});
