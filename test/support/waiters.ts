// Starts real `bootgate wait` processes and tells when each is watching.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

export const BOOTGATE_BIN = resolve(import.meta.dirname, "../../bin/bootgate.js");

export interface Waiter {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  /** Resolves once it printed that it is waiting (its watch is in place). */
  watching: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startWaiter(args: string[], env: NodeJS.ProcessEnv = {}): Waiter {
  const child = spawn(process.execPath, [BOOTGATE_BIN, "wait", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  let out = "";
  let onWatching!: () => void;
  const watching = new Promise<void>((r) => (onWatching = r));
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    if (err.includes("bootgate wait: waiting for")) onWatching();
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
  return { child, stderr: () => err, stdout: () => out, watching, exited };
}

export const settledWithin = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
