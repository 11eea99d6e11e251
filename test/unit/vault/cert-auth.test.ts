import { describe, expect, it } from "vitest";
import { certRole } from "../../../src/vault/cert-auth.js";
import { configRefusal, parseConfig } from "../../support/config-text.js";

describe("vault.certAuth", () => {
  it("should be off unless asked for", () => {
    expect(parseConfig("services:\n  - name: web-app\n").vault.certAuth).toBe(false);
  });

  it("should refuse a value that is not a boolean, naming the field", () => {
    const issue = refusalOf("vault:\n  certAuth: yes please\n");
    expect(issue).toMatch(/expected true or false/);
  });

  it("should give a service's role only that name, this boot's CA and the service's own policies", () => {
    const config = parseConfig("vault:\n  certAuth: true\n  tokenPeriod: 2h\nservices:\n  - name: web-app\n");
    expect(certRole(config, "web-app", "CA-PEM")).toEqual({
      display_name: "web-app",
      certificate: "CA-PEM",
      allowed_common_names: ["web-app"],
      token_policies: ["svc-web-app", "bootgate-token-self"],
      token_no_default_policy: true,
      token_type: "service",
      token_period: "7200s",
    });
  });
});

function refusalOf(yaml: string): string {
  return (
    configRefusal(yaml)
      .issues.filter((i) => i.path === "vault.certAuth")
      .map((i) => i.message)
      .join("; ") || "no issue at vault.certAuth"
  );
}
