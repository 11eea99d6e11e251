// bootgate status [--json]: gates, then whatever each capability reports.
import { loadConfig } from "../config/load.js";
import { STATUS_PROVIDERS } from "../status/providers.js";
import { renderTable } from "../status/table.js";
import { parse, secretsDirFlag } from "./options.js";

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parse("status", argv, {});
  if (values.help) {
    process.stdout.write("usage: bootgate status [--json] [--config FILE] [--secrets-dir DIR]\n");
    return 0;
  }
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  const sections = (await Promise.all(STATUS_PROVIDERS.map((p) => p(config)))).filter((s) => s !== undefined);
  if (values.json) {
    process.stdout.write(JSON.stringify(Object.fromEntries(sections.map((s) => [s.key, s.data])), null, 2) + "\n");
  } else {
    process.stdout.write(sections.map((s) => `${s.title}\n${renderTable(s.columns, s.rows)}`).join("\n\n") + "\n");
  }
  return 0;
}
