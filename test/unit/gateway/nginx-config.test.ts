import { describe, expect, it } from "vitest";
import { renderNginxConfig } from "../../../src/gateway/nginx-config.js";
import { renderNjsAuth } from "../../../src/gateway/njs-auth.js";
import { parseRouteMap } from "../../../src/gateway/route-map.js";

const routes = parseRouteMap(
  `[[routes]]\nname = "core-data"\npath = "/api/core-data"\nupstream = "https://127.0.0.1:59880/base"\nservice = "core-data"\n`,
  "routes.toml",
);
const input = {
  prefixDir: "/secrets/gateway/nginx",
  generationDir: "/secrets/gateway/nginx/gen-abc",
  generation: "abc",
  listenAddress: "127.0.0.1",
  listenPort: 8443,
  routes,
};

describe("the generated nginx config", () => {
  const text = renderNginxConfig(input);

  it("should allow TLS 1.2 and 1.3 only, with the certificate of this generation", () => {
    expect(text).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
    expect(text).toContain("ssl_certificate /secrets/gateway/nginx/gen-abc/fullchain.pem;");
    expect(text).toContain("ssl_certificate_key /secrets/gateway/nginx/gen-abc/key.pem;");
  });

  it("should verify upstreams against the stack's CA by service name and present the gateway's certificate", () => {
    expect(text).toMatch(/proxy_ssl_verify on;/);
    expect(text).toContain("proxy_ssl_trusted_certificate /secrets/gateway/nginx/gen-abc/ca.pem;");
    expect(text).toMatch(/proxy_ssl_server_name on;/);
    expect(text).toContain("proxy_ssl_certificate /secrets/gateway/nginx/gen-abc/client.pem;");
    expect(text).toContain("proxy_ssl_certificate_key /secrets/gateway/nginx/gen-abc/client-key.pem;");
    expect(text).toContain("proxy_ssl_name core-data;");
  });

  it("should put a JWT check in front of every route and map the prefix onto the upstream path", () => {
    const block = text.slice(text.indexOf("location ^~ /api/core-data/"));
    expect(block).toMatch(/^location \^~ \/api\/core-data\/ \{\s+auth_request \/_bootgate\/auth;/);
    expect(block).toContain("proxy_pass https://127.0.0.1:59880/base/;");
    expect(text).toContain("location = /api/core-data {");
    expect(text.match(/auth_request \/_bootgate\/auth;/g)).toHaveLength(2);
  });

  it("should resolve upstream names per request when a resolver is configured", () => {
    const late = renderNginxConfig({ ...input, resolver: ["127.0.0.11"] });
    expect(late).toContain("resolver 127.0.0.11 valid=10s;");
    expect(late).toContain('set $bootgate_upstream "127.0.0.1:59880";');
    expect(late).toContain("rewrite ^/api/core-data/(.*)$ /base/$1 break;");
    expect(late).toContain("proxy_pass https://$bootgate_upstream;");
    expect(late).not.toContain("proxy_pass https://127.0.0.1");
    expect(text).not.toContain("resolver ");
  });

  describe("for a uwsgi route", () => {
    const web = parseRouteMap(
      `[[routes]]\nname = "web"\npath = "/web"\nscheme = "uwsgi"\nupstream = "suwsgi://127.0.0.1:3031"\nservice = "web-app"\n`,
      "r.toml",
    );
    const uwsgi = renderNginxConfig({ ...input, routes: web });
    const block = uwsgi.slice(uwsgi.indexOf("location ^~ /web/"), uwsgi.indexOf("location = /web"));

    it("should pass to the app over TLS, verifying it by its service name against the stack's CA and presenting the gateway's certificate", () => {
      expect(block).toContain("uwsgi_pass suwsgi://127.0.0.1:3031;");
      expect(block).toMatch(/uwsgi_ssl_verify on;/);
      expect(block).toContain("uwsgi_ssl_name web-app;");
      expect(block).toMatch(/uwsgi_ssl_server_name on;/);
      expect(block).toContain("uwsgi_ssl_trusted_certificate /secrets/gateway/nginx/gen-abc/ca.pem;");
      expect(block).toContain("uwsgi_ssl_certificate /secrets/gateway/nginx/gen-abc/client.pem;");
      expect(block).toContain("uwsgi_ssl_certificate_key /secrets/gateway/nginx/gen-abc/client-key.pem;");
      expect(block).not.toContain("proxy_pass");
    });

    it("should check the JWT first and keep the token and any forged user header from the app", () => {
      expect(block).toMatch(/^location \^~ \/web\/ \{\s+auth_request \/_bootgate\/auth;/);
      expect(uwsgi.match(/auth_request \/_bootgate\/auth;/g)).toHaveLength(2);
      expect(block).toContain('uwsgi_param HTTP_AUTHORIZATION "";');
      expect(block).toContain("uwsgi_param HTTP_X_AUTHENTICATED_USER $bootgate_user;");
      expect(block).toContain('uwsgi_param SCRIPT_NAME "/web";');
    });

    it("should resolve the app's name per request when a resolver is configured", () => {
      const late = renderNginxConfig({ ...input, routes: web, resolver: ["127.0.0.11"] });
      expect(late).toContain('set $bootgate_upstream "127.0.0.1:3031";');
      expect(late).toContain("uwsgi_pass suwsgi://$bootgate_upstream;");
      // `rewrite … break` ends the rewrite module's directives: a `set` after it never runs and
      // nginx answers 500 ("invalid host in upstream"), as compose's gateway did.
      for (const location of late.split("location ").filter((l) => l.includes("uwsgi_pass"))) {
        expect(location.indexOf("set $bootgate_upstream"), location).toBeGreaterThan(-1);
        expect(location.indexOf("set $bootgate_upstream"), location).toBeLessThan(location.indexOf("rewrite "));
      }
    });
  });

  it("should refuse a folder whose name nginx would misread", () => {
    expect(() => renderNginxConfig({ ...input, generationDir: "/tmp/a b" })).toThrow(/misread/);
  });

  it("should bake the key and issuer into the njs verifier as literals", () => {
    const js = renderNjsAuth({ secret: "c2VjcmV0", algorithm: "HS256", keyId: "k" }, "bootgate");
    expect(js).toContain(`Buffer.from("c2VjcmV0", 'base64url')`);
    expect(js).toContain(`const ISSUER = "bootgate";`);
    expect(js).toContain("export default { verify };");
  });

  it("should bake both keys into the verifier after a rotation, the newest first", () => {
    const js = renderNjsAuth({ secret: "bmV3", algorithm: "HS256", keyId: "n" }, "bootgate", { secret: "b2xk", algorithm: "HS256", keyId: "o" });
    expect(js).toContain(`const SECRETS = [Buffer.from("bmV3", 'base64url'), Buffer.from("b2xk", 'base64url')];`);
  });
});
