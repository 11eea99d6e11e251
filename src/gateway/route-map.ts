// The gateway's route map (TOML, as in the EdgeX notes): one route per micro service, a path
// prefix and the upstream it proxies to over HTTPS, or over the uwsgi protocol in TLS
// (`scheme = "uwsgi"`, `suwsgi://`) for WSGI apps served by uWSGI. Every value here ends up inside a generated
// nginx config or a Kong Admin API call, so validation is strict: anything that could break out
// of an nginx directive, or reach an upstream without TLS, is refused with the route named.
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { parse as parseToml, TomlError } from "smol-toml";
import { z } from "zod";
import { dnsLabel } from "../config/fields.js";
import { ConfigError, type ConfigIssue } from "../errors.js";

/** How the gateway talks to the upstream: HTTP over TLS, or the uwsgi protocol over TLS. */
export type RouteScheme = "https" | "uwsgi";

export interface Route {
  name: string;
  scheme: RouteScheme;
  /** The path prefix clients use, without a trailing slash ("/" only for the root). */
  path: string;
  /** `https://host:port` (or `suwsgi://host:port`), where nginx and Kong connect. */
  upstreamOrigin: string;
  /** Path on the upstream the prefix maps to, ending in "/". */
  upstreamPath: string;
  upstreamHost: string;
  upstreamPort: number;
  /** The service name the upstream's certificate is verified by (nginx proxy_ssl_name). */
  service: string;
}

/** Printable characters nginx and Kong take literally in a location prefix. */
const SAFE_PATH = /^\/[A-Za-z0-9._~\-/]*$/;

const routeEntry = z.strictObject({
  name: dnsLabel,
  path: z
    .string({ error: "expected a path prefix such as /api/core-data" })
    .regex(SAFE_PATH, "expected a path prefix starting with '/' made of letters, digits and . _ ~ - /")
    .refine((p) => !p.split("/").some((seg) => seg === "." || seg === ".."), "expected a path without `.` or `..` segments")
    .refine((p) => !p.includes("//"), "expected a path without empty segments (`//`)"),
  upstream: z.string({ error: "expected an upstream URL such as https://core-data:59880" }),
  scheme: z.enum(["https", "uwsgi"], { error: 'expected "https" (the default) or "uwsgi"' }).optional(),
  /** The name the upstream's certificate is checked against; defaults to the URL's host. */
  service: dnsLabel.optional(),
});

const routeMapShape = z.strictObject({
  routes: z.array(z.unknown(), { error: "expected [[routes]] tables" }).min(1, "expected at least one [[routes]] table"),
});

export interface RouteMapOptions {
  /** Service names from the config; when given, a route's service must be one of them. */
  knownServices?: readonly string[];
}

export async function loadRouteMap(file: string, options: RouteMapOptions = {}): Promise<Route[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ path: "", message: `expected a readable TOML route map (${code ?? "unreadable"})` }], {
      cause: error,
    });
  }
  return parseRouteMap(text, file, options);
}

export function parseRouteMap(text: string, file: string, options: RouteMapOptions = {}): Route[] {
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (error) {
    const where = error instanceof TomlError ? `line ${error.line}` : "";
    const first = (error as Error).message.split("\n")[0] ?? "";
    throw new ConfigError(file, [{ path: where, message: `expected valid TOML: ${first}` }], { cause: error });
  }
  const top = routeMapShape.safeParse(doc);
  if (!top.success)
    throw new ConfigError(
      file,
      top.error.issues.map((i) => zodIssue(i, "")),
    );

  const issues: ConfigIssue[] = [];
  const routes: Route[] = [];
  const byName = new Map<string, string>();
  const byPath = new Map<string, string>();
  top.data.routes.forEach((raw, index) => {
    const label = routeLabel(raw, index);
    const parsed = routeEntry.safeParse(raw);
    if (!parsed.success) {
      issues.push(...parsed.error.issues.map((i) => zodIssue(i, label)));
      return;
    }
    const entry = parsed.data;
    const route = toRoute(entry, label, issues, options);
    if (!route) return;
    const otherName = byName.get(route.name);
    if (otherName) issues.push({ path: `${label}.name`, message: `expected a unique name; \`${route.name}\` is also ${otherName}` });
    else byName.set(route.name, label);
    const otherPath = byPath.get(route.path);
    if (otherPath) {
      issues.push({ path: `${label}.path`, message: `expected a unique path; \`${entry.path}\` is also the path of ${otherPath}` });
    } else byPath.set(route.path, label);
    routes.push(route);
  });
  if (issues.length > 0) throw new ConfigError(file, issues);
  return routes;
}

function toRoute(entry: z.infer<typeof routeEntry>, label: string, issues: ConfigIssue[], options: RouteMapOptions): Route | undefined {
  const where = `${label}.upstream`;
  if (!URL.canParse(entry.upstream)) {
    issues.push({ path: where, message: `expected an absolute URL such as https://core-data:59880, got \`${entry.upstream}\`` });
    return undefined;
  }
  const url = new URL(entry.upstream);
  const scheme = entry.scheme ?? "https";
  const protocol = scheme === "uwsgi" ? "suwsgi:" : "https:";
  if (url.protocol !== protocol) {
    const hint = url.protocol === "suwsgi:" ? '; a suwsgi:// upstream needs scheme = "uwsgi"' : "";
    issues.push({
      path: where,
      message: `expected ${scheme === "uwsgi" ? "a" : "an"} ${protocol}// upstream (TLS on every link), got \`${url.protocol}//\`${hint}`,
    });
    return undefined;
  }
  if (url.username || url.password) {
    issues.push({ path: where, message: "expected a URL without user or password (secrets never go in the route map)" });
    return undefined;
  }
  if (url.search || url.hash || entry.upstream.includes("?") || entry.upstream.includes("#")) {
    issues.push({ path: where, message: "expected a URL without a query or fragment" });
    return undefined;
  }
  // A suwsgi:// URL is not a special scheme to WHATWG: its empty path stays empty.
  const pathname = url.pathname === "" ? "/" : url.pathname;
  // uwsgi carries the request's own path to the app; there is no upstream path to map onto.
  if (scheme === "uwsgi" && pathname !== "/") {
    issues.push({ path: where, message: "expected a suwsgi:// upstream without a path (the app sees the request's path)" });
    return undefined;
  }
  if (!SAFE_PATH.test(pathname) || pathname.includes("//")) {
    issues.push({ path: where, message: "expected the upstream path to be made of letters, digits and . _ ~ - /" });
    return undefined;
  }
  const bareHost = url.hostname.replace(/^\[|\]$/g, "");
  const hostIsIp = isIP(bareHost) !== 0;
  if (!hostIsIp && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(bareHost)) {
    issues.push({ path: where, message: `expected a lowercase host name or an IP address, got \`${url.hostname}\`` });
    return undefined;
  }
  const service = entry.service ?? (hostIsIp ? undefined : bareHost.split(".")[0]);
  if (service === undefined) {
    issues.push({
      path: `${label}.service`,
      message: `expected \`service\` (the name the upstream's certificate is verified by) when the upstream host is an IP address`,
    });
    return undefined;
  }
  if (options.knownServices && !options.knownServices.includes(service)) {
    issues.push({
      path: `${label}.service`,
      message: `expected one of the configured services (${options.knownServices.join(", ")}), got \`${service}\``,
    });
    return undefined;
  }
  const path = entry.path.length > 1 ? entry.path.replace(/\/+$/, "") : entry.path;
  if (scheme === "uwsgi" && !url.port) {
    issues.push({ path: where, message: "expected a port in the suwsgi:// upstream (uwsgi has no default port)" });
    return undefined;
  }
  const port = url.port ? Number(url.port) : 443;
  return {
    name: entry.name,
    scheme,
    path,
    upstreamOrigin: `${protocol}//${url.host}`,
    upstreamPath: pathname.endsWith("/") ? pathname : `${pathname}/`,
    upstreamHost: url.hostname,
    upstreamPort: port,
    service,
  };
}

function routeLabel(raw: unknown, index: number): string {
  const name = typeof raw === "object" && raw !== null ? (raw as { name?: unknown }).name : undefined;
  return typeof name === "string" && name.length > 0 && name.length <= 63 ? `routes[${index}] (${JSON.stringify(name)})` : `routes[${index}]`;
}

function zodIssue(issue: z.core.$ZodIssue, prefix: string): ConfigIssue {
  const path = [prefix, ...issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p)))]
    .filter((s) => s !== "")
    .join(".")
    .replace(/\.\[/g, "[");
  if (issue.code === "unrecognized_keys") {
    return {
      path,
      message: `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `\`${k}\``).join(", ")}; ${prefix === "" ? "expected only [[routes]] tables" : "expected only name, path, upstream, scheme and service"}`,
    };
  }
  if (issue.code === "invalid_type" && issue.input === undefined) return { path, message: `missing; ${issue.message}` };
  return { path, message: issue.message };
}
