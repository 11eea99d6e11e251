// `bootgate status` rows for Kong in DB-less mode: where its declarative file is, whether it is
// written, its routes and the certificate it makes Kong serve (public part only; the file holds
// keys, which are read here but never shown).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/normalize.js";
import { describeCause } from "../errors.js";
import { servedCertificate } from "./served-certificate.js";
import { kongConfigDir } from "../gateway/gateway-paths.js";
import { KONG_DECLARATIVE_FILE } from "../gateway/kong-declarative-adapter.js";
import { summarizeKongDeclarative } from "../gateway/kong-declarative-config.js";

export async function kongDeclarativeRows(config: Config, rows: string[][], data: Record<string, unknown>): Promise<void> {
  const file = join(kongConfigDir(config), KONG_DECLARATIVE_FILE);
  const text = await readFile(file, "utf8").catch(() => undefined);
  rows.push(["kong", `declarative (DB-less); config ${text === undefined ? `not written yet (${file})` : file}`]);
  data.kong = { mode: "declarative", configFile: file, written: text !== undefined };
  if (text === undefined) return;
  try {
    const summary = summarizeKongDeclarative(text);
    (data.kong as Record<string, unknown>).routes = summary.routes;
    if (!summary.certificatePem) throw new Error("no certificate in the file");
    const served = servedCertificate(summary.certificatePem);
    rows.push(served.row);
    data.certificate = served.data;
  } catch (error) {
    rows.push(["certificate", `unreadable: ${describeCause(error).split("\n")[0]}`]);
  }
}
