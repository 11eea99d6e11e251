import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { parseRouteMap } from "../../../src/gateway/route-map.js";

const FILE = "/etc/bootgate/routes.toml";

function problems(text: string, knownServices?: string[]): ConfigError {
  try {
    parseRouteMap(text, FILE, knownServices ? { knownServices } : {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected the route map to be refused");
}

const route = (name: string, path: string, upstream: string, extra = "") =>
  `[[routes]]\nname = "${name}"\npath = "${path}"\nupstream = "${upstream}"\n${extra}\n`;

describe("the TOML route map", () => {
  it("should read routes with a path prefix, an HTTPS upstream and the service it is verified by", () => {
    const routes = parseRouteMap(
      route("core-data", "/api/core-data/", "https://core-data:59880") + route("meta", "/api/meta", "https://127.0.0.1:9443/v2", 'service = "core-metadata"'),
      FILE,
    );
    expect(routes).toEqual([
      {
        name: "core-data",
        path: "/api/core-data",
        scheme: "https",
        upstreamOrigin: "https://core-data:59880",
        upstreamPath: "/",
        upstreamHost: "core-data",
        upstreamPort: 59880,
        service: "core-data",
      },
      {
        name: "meta",
        path: "/api/meta",
        scheme: "https",
        upstreamOrigin: "https://127.0.0.1:9443",
        upstreamPath: "/v2/",
        upstreamHost: "127.0.0.1",
        upstreamPort: 9443,
        service: "core-metadata",
      },
    ]);
  });

  it("should read a uwsgi route: the uwsgi protocol over TLS, verified by the service's name", () => {
    const [web] = parseRouteMap(route("web", "/web", "suwsgi://web-app:3031/", 'scheme = "uwsgi"'), FILE);
    expect(web).toEqual({
      name: "web",
      scheme: "uwsgi",
      path: "/web",
      upstreamOrigin: "suwsgi://web-app:3031",
      upstreamPath: "/",
      upstreamHost: "web-app",
      upstreamPort: 3031,
      service: "web-app",
    });
  });

  const BAD: Array<[string, string, RegExp, RegExp]> = [
    ["a uwsgi route without TLS", route("a", "/a", "uwsgi://a:3031", 'scheme = "uwsgi"'), /\.upstream/, /expected a suwsgi:\/\/ upstream/],
    ["a suwsgi upstream without scheme = uwsgi", route("a", "/a", "suwsgi://a:3031"), /\.upstream/, /needs scheme = "uwsgi"/],
    ["an https upstream on a uwsgi route", route("a", "/a", "https://a:1", 'scheme = "uwsgi"'), /\.upstream/, /expected a suwsgi:\/\//],
    ["a uwsgi upstream with a path", route("a", "/a", "suwsgi://a:3031/v2", 'scheme = "uwsgi"'), /\.upstream/, /without a path/],
    ["a uwsgi upstream without a port", route("a", "/a", "suwsgi://a", 'scheme = "uwsgi"'), /\.upstream/, /expected a port/],
    ["an unknown scheme", route("a", "/a", "https://a:1", 'scheme = "grpc"'), /\.scheme/, /"https" \(the default\) or "uwsgi"/],
    ["an unknown key in a route", route("a", "/a", "https://a:1", 'timeout = "5s"'), /routes\[0\] \("a"\)/, /unknown key `timeout`/],
    ["an unknown top-level table", `[server]\nport = 1\n` + route("a", "/a", "https://a:1"), /\(root\)/, /unknown key `server`/],
    [
      "a duplicate path",
      route("a", "/api/x", "https://a:1") + route("b", "/api/x/", "https://b:1"),
      /routes\[1\] \("b"\)\.path/,
      /unique path.*routes\[0\] \("a"\)/,
    ],
    ["a duplicate name", route("a", "/a", "https://a:1") + route("a", "/b", "https://b:1"), /routes\[1\] \("a"\)\.name/, /unique name/],
    ["a plain-HTTP upstream", route("a", "/a", "http://a:80"), /routes\[0\] \("a"\)\.upstream/, /expected an https:\/\/ upstream/],
    ["an upstream that is not a URL", route("a", "/a", "core-data:59880/x y"), /upstream/, /expected an (absolute URL|https)/],
    ["an upstream with a password", route("a", "/a", "https://u:secret@a:1"), /upstream/, /without user or password/],
    ["an upstream with a query", route("a", "/a", "https://a:1/?x=1"), /upstream/, /without a query/],
    ["a path that does not start with /", route("a", "api/a", "https://a:1"), /\.path/, /starting with '\/'/],
    ["a path that would break out of an nginx directive", route("a", "/a; return 200", "https://a:1"), /\.path/, /path prefix/],
    ["a path with ..", route("a", "/a/../b", "https://a:1"), /\.path/, /`\.\.`/],
    ["a missing upstream", `[[routes]]\nname = "a"\npath = "/a"\n`, /routes\[0\] \("a"\)\.upstream/, /missing/],
    ["an IP upstream without a service name", route("a", "/a", "https://127.0.0.1:1"), /\.service/, /when the upstream host is an IP/],
    ["a route name that is not a DNS label", route("Core_Data", "/a", "https://a:1"), /\.name/, /DNS label/],
    ["no routes at all", `# nothing\n`, /routes/, /expected \[\[routes\]\]|at least one/],
    ["broken TOML", `[[routes]\nname = "a"\n`, /line \d+/, /expected valid TOML/],
    ["a number where a path belongs", `[[routes]]\nname = "a"\npath = 5\nupstream = "https://a:1"\n`, /\.path/, /path prefix/],
  ];

  for (const [what, text, where, message] of BAD) {
    it(`should refuse ${what}, naming the file, the route and what was expected`, () => {
      const error = problems(text);
      expect(error.file).toBe(FILE);
      expect(error.message).toContain(FILE);
      expect(
        error.issues.some((i) => where.test(i.path || "(root)") && message.test(i.message)),
        JSON.stringify(error.issues),
      ).toBe(true);
    });
  }

  it("should refuse a route to a service the config does not declare", () => {
    const error = problems(route("a", "/a", "https://ghost:1"), ["core-data"]);
    expect(error.issues[0]!.message).toMatch(/one of the configured services \(core-data\), got `ghost`/);
  });

  it("should report every problem at once", () => {
    const error = problems(route("a", "/a", "http://a:1") + route("b", "b", "https://b:1") + route("c", "/c", "https://c:1", "x = 1"));
    expect(error.issues).toHaveLength(3);
  });
});
