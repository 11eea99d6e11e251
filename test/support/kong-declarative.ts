// What Kong does with a declarative file at start (DB-less), as far as these tests need it: parse
// it, check the top level, resolve the nested children and the by-id references, and hold the
// entities. The entities are loaded into the Admin API recorder (test/support/kong-recorder.ts),
// which checks each one against the fields Kong documents and can say whether Kong's JWT plugin
// would accept a token. Not a real Kong: Kong cannot run on this machine.
import { parse } from "yaml";
import { KongAdminClient } from "../../src/gateway/kong-admin-client.js";
import type { KongRecorder } from "./kong-recorder.js";

type Entity = Record<string, unknown>;

/** The top-level keys of Kong 3.x's declarative format that bootgate may write. */
const TOP_LEVEL = ["_format_version", "_transform", "ca_certificates", "certificates", "services", "plugins", "consumers"];

export interface DeclarativePut {
  path: string;
  body: Entity;
}

/** The file as the Admin API calls that would build the same state, parents before children. */
export function declarativeAsPuts(text: string): DeclarativePut[] {
  const doc = parse(text) as Record<string, unknown>;
  if (doc._format_version !== "3.0") throw new Error(`expected _format_version "3.0", got ${JSON.stringify(doc._format_version)}`);
  const unknown = Object.keys(doc).filter((k) => !TOP_LEVEL.includes(k));
  if (unknown.length) throw new Error(`unknown top-level keys ${unknown.join(", ")}`);
  const list = (v: unknown, what: string): Entity[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new Error(`${what}: expected a list`);
    return v as Entity[];
  };
  const puts: DeclarativePut[] = [];
  for (const { id, ...ca } of list(doc.ca_certificates, "ca_certificates")) puts.push({ path: `/ca_certificates/${String(id)}`, body: ca });
  const certIds = new Set<string>();
  for (const { id, snis, ...cert } of list(doc.certificates, "certificates")) {
    certIds.add(String(id));
    puts.push({ path: `/certificates/${String(id)}`, body: cert });
    for (const { name, ...sni } of list(snis, "certificates[].snis")) {
      puts.push({ path: `/snis/${encodeURIComponent(String(name))}`, body: { ...sni, certificate: { id } } });
    }
  }
  for (const { name, routes, client_certificate, ...service } of list(doc.services, "services")) {
    // A top-level entity references another by its primary key, as a string.
    if (typeof client_certificate !== "string" || !certIds.has(client_certificate)) {
      throw new Error(
        `services ${String(name)}: invalid reference 'client_certificate: ${JSON.stringify(client_certificate)}' (no such entry in 'certificates')`,
      );
    }
    puts.push({ path: `/services/${String(name)}`, body: { ...service, client_certificate: { id: client_certificate } } });
    for (const { name: routeName, ...route } of list(routes, "services[].routes")) {
      puts.push({ path: `/routes/${String(routeName)}`, body: { ...route, service: { name } } });
    }
  }
  for (const { id, ...plugin } of list(doc.plugins, "plugins")) puts.push({ path: `/plugins/${String(id)}`, body: plugin });
  for (const { jwt_secrets, ...consumer } of list(doc.consumers, "consumers")) {
    const username = String(consumer.username);
    puts.push({ path: `/consumers/${username}`, body: consumer });
    for (const secret of list(jwt_secrets, "consumers[].jwt_secrets")) {
      puts.push({ path: `/consumers/${username}/jwt/${encodeURIComponent(String(secret.key))}`, body: secret });
    }
  }
  return puts;
}

/** Loads the file into the recorder; throws on the first entity it refuses. */
export async function loadDeclarative(recorder: KongRecorder, text: string): Promise<void> {
  const client = new KongAdminClient(recorder.url);
  for (const { path, body } of declarativeAsPuts(text)) {
    const res = await client.put(path, body);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** The recorder's tables without the ids it makes up for named entities, for comparing states. */
export function comparableState(recorder: KongRecorder): Record<string, Record<string, Entity>> {
  const byId = new Set(["ca_certificates", "certificates", "plugins"]);
  const out: Record<string, Record<string, Entity>> = {};
  for (const [table, rows] of recorder.entities) {
    out[table] = Object.fromEntries(
      [...rows.entries()]
        .map(([key, row]): [string, Entity] => {
          const { id, consumer: _consumer, ...rest } = row;
          return [key, byId.has(table) ? { id, ...rest } : rest];
        })
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  }
  return out;
}
