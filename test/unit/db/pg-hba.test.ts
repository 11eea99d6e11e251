import { describe, expect, it } from "vitest";
import { renderPgHba } from "../../../src/servers/pg-hba.js";

describe("the pg_hba.conf bootgate writes", () => {
  it("should accept only TLS with scram-sha-256 when no role needs a certificate", () => {
    const lines = renderPgHba()
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(lines).toEqual(["hostssl all all 127.0.0.1/32 scram-sha-256", "hostssl all all ::1/128 scram-sha-256"]);
  });

  it("should demand the certificate of each such role on a line before the general ones (first match wins)", () => {
    const lines = renderPgHba(["web-app"])
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(lines.slice(0, 2)).toEqual([
      'hostssl all "web-app" 127.0.0.1/32 scram-sha-256 clientcert=verify-full',
      'hostssl all "web-app" ::1/128 scram-sha-256 clientcert=verify-full',
    ]);
    expect(lines.slice(2)).toEqual(["hostssl all all 127.0.0.1/32 scram-sha-256", "hostssl all all ::1/128 scram-sha-256"]);
  });

  it("should refuse a role name PostgreSQL would parse as more than a name", () => {
    expect(() => renderPgHba(['a" all trust'])).toThrow(/cannot write pg_hba\.conf/);
  });
});
