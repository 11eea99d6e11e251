// A test hook for the convergence test: with BOOTGATE_TEST_CRASH_AFTER=vault-write the process
// dies (SIGKILL, no cleanup) right after a new password reached Vault and before PostgreSQL
// heard of it — the window the Vault-first order is there to survive.
export const CRASH_ENV = "BOOTGATE_TEST_CRASH_AFTER";
export type CrashPoint = "vault-write";

export function crashHookFrom(env: NodeJS.ProcessEnv): ((point: CrashPoint) => void) | undefined {
  const wanted = env[CRASH_ENV];
  if (wanted !== "vault-write") return undefined;
  return (point) => {
    if (point === wanted) process.kill(process.pid, "SIGKILL");
  };
}
