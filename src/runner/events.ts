export type RunnerEvent =
  | { type: "run-start"; bootId: string; stages: string[] }
  | { type: "stage-start"; stage: string; attempt: number }
  | { type: "stage-log"; stage: string; message: string }
  | { type: "stage-retry"; stage: string; attempt: number; delayMs: number; error: string }
  | { type: "stage-done"; stage: string; durationMs: number; opened: string[]; summary?: string }
  | { type: "stage-failed"; stage: string; durationMs: number; error: string }
  | { type: "stage-skipped"; stage: string; reason: string }
  | { type: "gate-open"; gate: string; stage: string }
  | { type: "run-done"; ok: boolean; durationMs: number; failed: string[] };

export type EventSink = (event: RunnerEvent) => void;
