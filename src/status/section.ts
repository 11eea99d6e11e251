import type { Config } from "../config/normalize.js";

/** One block of `bootgate status`: a table for people, `data` for --json. */
export interface StatusSection {
  /** The section's key in `status --json`. */
  key: string;
  title: string;
  columns: string[];
  rows: string[][];
  data: unknown;
}

/** Each capability contributes one; it must not throw for a part that is down — say so in a row. */
export type StatusProvider = (config: Config) => Promise<StatusSection | undefined>;
