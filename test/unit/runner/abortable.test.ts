// raceAbort when the signal has already fired: the work it was given may fail later, and that
// failure must not surface as an unhandled rejection (which ends the process mid-stop).
import { describe, expect, it } from "vitest";
import { raceAbort } from "../../../src/runner/abortable.js";

describe("raceAbort", () => {
  it("should reject with the signal's reason at once, and leave no unhandled rejection when the work fails afterwards", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const controller = new AbortController();
      controller.abort(new Error("SIGINT: stopping"));
      let fail!: (e: Error) => void;
      const work = new Promise<never>((_, reject) => (fail = reject));
      await expect(raceAbort(work, controller.signal)).rejects.toThrow("SIGINT: stopping");
      fail(new Error("Vault is not reachable"));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
