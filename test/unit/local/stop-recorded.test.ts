// Stopping parts by what was recorded of them (pid and start time), as `up`, its watchdog and
// the next `up` do, on real processes: a detached shell with a child of its own.
import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { liveDetached, stopAllDetached, trackDetached, watchDetached } from "../../../src/servers/detached-children.js";
import { groupMembers, identityOf, isSameProcess } from "../../../src/servers/proc-identity.js";
import { type RecordedPart, stopRecordedPart } from "../../../src/servers/stop-recorded.js";

const spawned: ChildProcess[] = [];

/** A detached group: a shell that ignores SIGTERM unless told otherwise, and a sleep it started. */
function spawnGroup(script = "sleep 30 & wait"): ChildProcess {
  const child = spawn("/bin/sh", ["-c", script], { detached: true, stdio: "ignore" });
  spawned.push(child);
  return child;
}

async function untilGroupHas(pgid: number, n: number): Promise<void> {
  while (groupMembers(pgid).length < n) await new Promise((r) => setTimeout(r, 20));
}

const partOf = (child: ChildProcess, over: Partial<RecordedPart> = {}): RecordedPart => ({
  name: "test-part",
  ...identityOf(child.pid!)!,
  stopSignal: "SIGTERM",
  graceMs: 2_000,
  ...over,
});

afterEach(() => {
  for (const child of spawned.splice(0)) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Gone.
    }
  }
});

describe("stopping a recorded part", () => {
  it("should stop the whole group, the leader and the child it started", async () => {
    const child = spawnGroup();
    await untilGroupHas(child.pid!, 2);
    expect(await stopRecordedPart(partOf(child))).toBe(true);
    expect(groupMembers(child.pid!)).toEqual([]);
  });

  it("should kill a group whose leader ignores its polite signal once the grace is over", async () => {
    const child = spawnGroup("trap '' TERM; sleep 30 & wait; sleep 30");
    await untilGroupHas(child.pid!, 2);
    const started = Date.now();
    expect(await stopRecordedPart(partOf(child, { graceMs: 300 }))).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(groupMembers(child.pid!)).toEqual([]);
  });

  it("should leave alone a process whose pid matches but whose start time does not (a reused pid)", async () => {
    const child = spawnGroup();
    await untilGroupHas(child.pid!, 2);
    const stranger = partOf(child, { startTime: identityOf(child.pid!)!.startTime - 1 });
    expect(isSameProcess(stranger)).toBe(false);
    // Its group still has members, so the group itself is the recorded one: only `alone` spares it.
    expect(await stopRecordedPart(stranger, { alone: true })).toBe(false);
    expect(groupMembers(child.pid!).length).toBe(2);
  });

  it("should say there was nothing to stop when the part is gone", async () => {
    const child = spawnGroup();
    await untilGroupHas(child.pid!, 2);
    const part = partOf(child);
    process.kill(-child.pid!, "SIGKILL");
    // SIGKILL is delivered to each member in its own time: wait until the kernel is done.
    while (groupMembers(child.pid!).length > 0 || identityOf(child.pid!)) await new Promise((r) => setTimeout(r, 20));
    expect(await stopRecordedPart(part)).toBe(false);
  });
});

describe("the registry of detached children", () => {
  it("should list each child from its spawn, tell its listeners, and stop them newest first", async () => {
    const events: string[] = [];
    const unwatch = watchDetached({ started: (p) => events.push(`started ${p.name}`), ended: (p) => events.push(`ended ${p.name}`) });
    const first = spawnGroup();
    trackDetached("first", first);
    const second = spawnGroup();
    trackDetached("second", second);
    expect(liveDetached().map((p) => p.name)).toEqual(["first", "second"]);
    await untilGroupHas(second.pid!, 2);

    expect(await stopAllDetached()).toEqual(["second", "first"]);
    await new Promise((r) => setTimeout(r, 50));
    expect(events.slice(0, 2)).toEqual(["started first", "started second"]);
    expect(events).toContain("ended first");
    expect(liveDetached()).toEqual([]);

    // Once stopping has begun, a part that still appears is killed at once.
    const late = spawnGroup();
    trackDetached("late", late);
    await new Promise((r) => late.once("exit", r));
    expect(late.signalCode).toBe("SIGKILL");
    unwatch();
  });
});
