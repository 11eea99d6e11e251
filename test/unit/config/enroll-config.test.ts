import { describe, expect, it } from "vitest";
import { configRefusal, parseConfig } from "../../support/config-text.js";

const BASE = "vault:\n  ikm: { file: /k }\nservices:\n  - name: vault\n  - name: edge-logs\n    remote: true\n";

describe("remote services and agent.enroll", () => {
  it("should read remote services and leave enrollment off unless agent.enroll.listen is set", () => {
    const c = parseConfig(BASE);
    expect(c.services.find((s) => s.name === "edge-logs")?.remote).toBe(true);
    expect(c.services.find((s) => s.name === "vault")?.remote).toBe(false);
    expect(c.agent.enroll).toBeUndefined();
  });

  it("should read agent.enroll with the PSK as a file path resolved against the config's folder", () => {
    const c = parseConfig(`${BASE}agent:\n  enroll:\n    listen: 0.0.0.0:9443\n    psk: ./enroll.psk\n`);
    expect(c.agent.enroll).toEqual({ listen: { host: "0.0.0.0", port: 9443 }, psk: "/etc/bg/enroll.psk", perAddressPerMinute: 120, perServicePerMinute: 60 });
  });

  const BAD: [string, string, string, RegExp][] = [
    ["a remote Vault", "vault:\n  ikm: { file: /k }\nservices:\n  - name: vault\n    remote: true\n", "services.0.remote", /not to be remote/],
    ["a remote service with an imported certificate", `${BASE}    importCert: ./x\n`, "services.1.remote", /either remote or importCert/],
    ["a remote service without Vault's PKI engine", "services:\n  - name: edge-logs\n    remote: true\n", "services.0.remote", /pki\.issuer `vault`/],
    ["enrollment without Vault's PKI engine", "services: []\nagent:\n  enroll:\n    listen: 127.0.0.1:9443\n", "agent.enroll", /pki\.issuer `vault`/],
    ["an enroll listen without a port", `${BASE}agent:\n  enroll:\n    listen: 127.0.0.1\n`, "agent.enroll.listen", /host:port/],
    ["a PSK given inline as a number", `${BASE}agent:\n  enroll:\n    listen: 127.0.0.1:1\n    psk: 5\n`, "agent.enroll.psk", /file or folder path/],
    ["remote that is not a boolean", "services:\n  - name: a\n    remote: yes please\n", "services.0.remote", /true or false/],
  ];

  it.each(BAD)("should refuse %s naming the field", (_title, text, path, expected) => {
    const issue = configRefusal(text).issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(configRefusal(text).issues)).toBeDefined();
    expect(issue!.message).toMatch(expected);
  });
});
