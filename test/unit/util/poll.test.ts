import { describe, expect, it } from "vitest";
import { TimeoutError } from "../../../src/errors.js";
import { becomesTrue, poll } from "../../../src/util/poll.js";
import { sleep } from "../../../src/util/sleep.js";
import { hasTransientCode } from "../../../src/util/transient.js";

describe("poll", () => {
  it("should return the first answer that is not undefined", async () => {
    let calls = 0;
    await expect(poll(() => (++calls < 3 ? undefined : "up"), { timeoutMs: 1_000, intervalMs: 1, what: "x" })).resolves.toBe("up");
    expect(calls).toBe(3);
  });

  it("should try once even with a timeout of 0, then say what it waited for", async () => {
    let calls = 0;
    const error = await poll(() => void calls++, { timeoutMs: 0, intervalMs: 10, what: () => "the server (last: refused)" }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("timed out after 0ms waiting for the server (last: refused)");
  });

  it("should end at once on what the attempt throws", async () => {
    await expect(poll(() => Promise.reject(new Error("bad certificate")), { timeoutMs: 1_000, intervalMs: 1, what: "x" })).rejects.toThrow("bad certificate");
  });

  it("should give way to its signal, with the signal's reason, while it sleeps", async () => {
    const abort = new AbortController();
    const waiting = poll(() => undefined, { timeoutMs: 60_000, intervalMs: 60_000, signal: abort.signal, what: "x" });
    abort.abort(new Error("stage over"));
    await expect(waiting).rejects.toThrow("stage over");
  });
});

describe("sleep", () => {
  it("should wake with the signal's reason when it aborts", async () => {
    const abort = new AbortController();
    const sleeping = sleep(60_000, abort.signal);
    abort.abort(new Error("stop"));
    await expect(sleeping).rejects.toThrow("stop");
  });
});

describe("transient codes", () => {
  it("should call the same connection failures transient for every server", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN", "EHOSTUNREACH"]) expect(hasTransientCode({ code })).toBe(true);
    expect(hasTransientCode({ code: "ERR_TLS_CERT_ALTNAME_INVALID" })).toBe(false);
    expect(hasTransientCode(new Error("no code"))).toBe(false);
  });
});

describe("becomesTrue", () => {
  it("should answer true as soon as the condition holds, and false when the time runs out", async () => {
    let calls = 0;
    expect(await becomesTrue(() => ++calls >= 3, { timeoutMs: 5_000, intervalMs: 1 })).toBe(true);
    expect(calls).toBe(3);
    expect(await becomesTrue(() => false, { timeoutMs: 0, intervalMs: 1 })).toBe(false);
  });

  it("should give way to its signal instead of answering", async () => {
    const abort = new AbortController();
    abort.abort(new Error("stopping"));
    await expect(becomesTrue(() => false, { timeoutMs: 60_000, intervalMs: 10, signal: abort.signal })).rejects.toThrow("stopping");
  });
});
