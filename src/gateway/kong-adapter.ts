// The Kong adapter: the same material applied through Kong's Admin API. Every entity is
// upserted with PUT by name, or by an id derived from a stable name where Kong has no name
// (certificates, CA certificates, plugins), so running proxy-setup twice changes nothing and a
// rotation replaces the certificate in place.
//
// Kong cannot run on this machine: this adapter is tested against a recording server that
// follows Kong's documented Admin API (test/support/kong-recorder.ts), not against a real Kong.
import { RequestError } from "../errors.js";
import type { ApplyResult, GatewayAdapter, GatewayMaterial } from "./adapter.js";
import type { KongAdminClient, KongResponse } from "./kong-admin-client.js";
import { KONG_TAG, kongEntities } from "./kong-entities.js";

export { KONG_TAG, stableUuid } from "./kong-entities.js";

export interface KongAdapterOptions {
  client: KongAdminClient;
  /** The gateway's service name: entity names and ids derive from it. */
  gateway: string;
}

export class KongAdapter implements GatewayAdapter {
  readonly kind = "kong" as const;

  constructor(private readonly options: KongAdapterOptions) {}

  async apply(material: GatewayMaterial, signal?: AbortSignal): Promise<ApplyResult> {
    const e = kongEntities(material, this.options.gateway);
    const step = async (path: string, body: Record<string, unknown>) => {
      signal?.throwIfAborted();
      expectOk(await this.options.client.put(path, body), path);
    };

    // Referenced entities first: Kong refuses a reference to an id it does not hold yet.
    for (const { id, ...body } of e.caCertificates) await step(`/ca_certificates/${id}`, body);
    const { id: certId, ...certificate } = e.certificate;
    await step(`/certificates/${certId}`, certificate);
    for (const { name, tags } of e.snis) await step(`/snis/${encodeURIComponent(name)}`, { certificate: { id: certId }, tags });
    const { id: clientCertId, ...clientCertificate } = e.clientCertificate;
    await step(`/certificates/${clientCertId}`, clientCertificate);
    for (const [i, { name, ...service }] of e.services.entries()) {
      await step(`/services/${name}`, service);
      const { name: routeName, ...route } = e.routes[i]!;
      await step(`/routes/${routeName}`, route);
    }

    // The route map is the whole truth: what bootgate made before and the map no longer names goes.
    const pruned = [
      ...(await this.prune("routes", new Set(e.routes.map((r) => r.name)), signal)),
      ...(await this.prune("services", new Set(e.services.map((s) => s.name)), signal)),
      ...(await this.prune("snis", new Set(e.snis.map((s) => s.name)), signal)),
    ];

    const { id: pluginId, ...plugin } = e.jwtPlugin;
    await step(`/plugins/${pluginId}`, plugin);
    await step(`/consumers/${e.consumer.username}`, { ...e.consumer });
    await step(`/consumers/${e.consumer.username}/jwt/${encodeURIComponent(e.jwtSecret.key)}`, { ...e.jwtSecret });
    return { summary: `Kong configured (${e.routes.length} routes, ${e.snis.length} SNIs${pruned.length ? `, removed ${pruned.join(", ")}` : ""})` };
  }

  /** Deletes entities tagged by bootgate whose name is not in `keep`; returns what it removed. */
  private async prune(collection: "routes" | "services" | "snis", keep: Set<string>, signal?: AbortSignal): Promise<string[]> {
    const names: string[] = [];
    let next: string | null = `/${collection}?tags=${KONG_TAG}&size=1000`;
    while (next) {
      signal?.throwIfAborted();
      const res = await this.options.client.get(next);
      expectOk(res, `/${collection}`, "GET");
      const page = res.body as { data?: { name?: unknown }[]; next?: unknown };
      for (const entity of page.data ?? []) if (typeof entity.name === "string" && !keep.has(entity.name)) names.push(entity.name);
      next = typeof page.next === "string" && page.next !== "" ? page.next : null;
    }
    for (const name of names) {
      const res = await this.options.client.delete(`/${collection}/${encodeURIComponent(name)}`);
      if (res.status !== 404) expectOk(res, `/${collection}/${name}`, "DELETE");
    }
    return names.map((n) => `${collection.replace(/s$/, "")} ${n}`);
  }
}

function expectOk(res: KongResponse, path: string, method = "PUT"): void {
  if (res.status >= 200 && res.status < 300) return;
  // Kong's own message only: the request body carried the key and must not be echoed.
  const message = typeof res.body === "object" && res.body !== null ? (res.body as { message?: unknown }).message : undefined;
  const detail = `HTTP ${res.status}${typeof message === "string" ? `: ${message.slice(0, 300)}` : ""}`;
  throw new RequestError("Kong Admin API", `${method} ${path.replace(/\/jwt\/.*/, "/jwt/…")}`, detail, {
    transient: res.status >= 500,
    statusCode: res.status,
  });
}
