import { describe, expect, it } from "vitest";
import { bootgatePolicy, servicePolicy } from "../../../src/vault/policies.js";

const paths = (hcl: string) => [...hcl.matchAll(/path "([^"]+)" \{\n {2}capabilities = \[([^\]]*)\]/g)].map((m) => [m[1], m[2]]);

describe("policies", () => {
  it("should grant a service its own data and metadata folders and nothing else", () => {
    expect(paths(servicePolicy("secret", "core-data"))).toEqual([
      ["secret/data/core-data/*", '"create", "read", "update", "delete", "list"'],
      ["secret/metadata/core-data/*", '"read", "list", "delete"'],
    ]);
  });

  it("should let a service issue its own certificate from Vault's PKI engine and nothing else under the mount", () => {
    expect(paths(servicePolicy("secret", "core-data", "pki"))).toEqual([
      ["secret/data/core-data/*", '"create", "read", "update", "delete", "list"'],
      ["secret/metadata/core-data/*", '"read", "list", "delete"'],
      ["pki/issue/core-data", '"update"'],
    ]);
  });

  it("should list every service folder for bootgate, under sys/ only the audit devices, and not its own bookkeeping", () => {
    const hcl = bootgatePolicy("kv", ["a", "b"]);
    expect(paths(hcl)).toEqual([
      ["kv/data/a/*", '"create", "read", "update", "delete", "list"'],
      ["kv/metadata/a/*", '"read", "list", "delete"'],
      ["kv/data/b/*", '"create", "read", "update", "delete", "list"'],
      ["kv/metadata/b/*", '"read", "list", "delete"'],
      ["sys/audit", '"read", "sudo"'],
    ]);
    expect(hcl).not.toMatch(/_bootgate/);
  });
});
