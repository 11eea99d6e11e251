// How runner events reach people and machines: one line per stage with its time on a TTY or
// in CI, JSON lines with --json. Events carry no secrets, so printing them is safe.
import type { EventSink, RunnerEvent } from "./events.js";

export type ReportMode = "tty" | "plain" | "json";

export function pickReportMode(json: boolean, stream: NodeJS.WriteStream = process.stderr): ReportMode {
  if (json) return "json";
  return stream.isTTY && !process.env.CI && !process.env.NO_COLOR ? "tty" : "plain";
}

const color = (code: number, text: string) => `\u001b[${code}m${text}\u001b[0m`;

export function formatEvent(event: RunnerEvent, mode: Exclude<ReportMode, "json">): string | undefined {
  const c = mode === "tty" ? color : (_: number, t: string) => t;
  switch (event.type) {
    case "stage-done": {
      const gates = event.opened.length ? ` → ${event.opened.join(", ")}` : "";
      const summary = event.summary ? ` (${event.summary})` : "";
      return `${c(32, "✓")} ${event.stage.padEnd(18)} ${String(event.durationMs).padStart(6)} ms${gates}${summary}`;
    }
    case "stage-failed":
      return `${c(31, "✗")} ${event.stage.padEnd(18)} ${String(event.durationMs).padStart(6)} ms  ${event.error}`;
    case "stage-skipped":
      return `${c(33, "-")} ${event.stage.padEnd(18)}   skipped: ${event.reason}`;
    case "stage-retry":
      return `${c(33, "↻")} ${event.stage.padEnd(18)}   attempt ${event.attempt} failed (${event.error}); retrying in ${event.delayMs} ms`;
    case "stage-log":
      return `  ${event.stage.padEnd(18)}   ${event.message}`;
    case "run-done":
      return event.ok
        ? `${c(32, "bootgate: all stages done")} in ${event.durationMs} ms`
        : `${c(31, "bootgate: failed")} (${event.failed.join(", ") || "stages skipped"}) after ${event.durationMs} ms`;
    default:
      return undefined;
  }
}

export function createReporter(mode: ReportMode, write: (line: string) => void = (l) => process.stderr.write(l + "\n")): EventSink {
  if (mode === "json") {
    return (event) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...event }) + "\n");
  }
  return (event) => {
    const line = formatEvent(event, mode);
    if (line !== undefined) write(line);
  };
}
