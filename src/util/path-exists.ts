import { access } from "node:fs/promises";

/** Whether something is at `path` (and we may see it). */
export const pathExists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );
