import { join } from "node:path";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { gatesDir, WAITER_SCRIPT } from "./gate-file.js";
import { WAITER_SH } from "./waiter-script.js";

export async function installWaiterScript(secretsDir: string): Promise<string> {
  const path = join(gatesDir(secretsDir), WAITER_SCRIPT);
  await writeFileAtomic(path, WAITER_SH, { mode: 0o755 });
  return path;
}
