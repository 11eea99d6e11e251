import { writeFileAtomic } from "../fs/atomic-write.js";
import { waiterScriptPath } from "../volume/layout.js";
import { WAITER_SH } from "./waiter-script.js";

export async function installWaiterScript(secretsDir: string): Promise<string> {
  const path = waiterScriptPath(secretsDir);
  await writeFileAtomic(path, WAITER_SH, { mode: 0o755 });
  return path;
}
