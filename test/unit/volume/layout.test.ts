// The layout is the public interface (README, "The secrets volume"): spelled out literally here,
// on purpose, so a renamed constant fails a test instead of quietly moving every service's files.
import { describe, expect, it } from "vitest";
import {
  bootgateDir,
  bootPath,
  caBundlePath,
  gatePath,
  gatesDir,
  keyringPath,
  kongDir,
  localAdminPasswordPath,
  nginxDir,
  serviceDir,
  servicePath,
  waiterScriptPath,
} from "../../../src/volume/layout.js";

describe("the secrets volume's layout", () => {
  it("should put the trust bundle, each service's files and the gates where the README says", () => {
    const s = "/secrets";
    expect(caBundlePath(s)).toBe("/secrets/ca/ca.pem");
    expect(serviceDir(s, "core-data")).toBe("/secrets/core-data");
    expect(servicePath(s, "core-data", "cert")).toBe("/secrets/core-data/cert.pem");
    expect(servicePath(s, "core-data", "key")).toBe("/secrets/core-data/key.pem");
    expect(servicePath(s, "core-data", "ca")).toBe("/secrets/core-data/ca.pem");
    expect(servicePath(s, "core-data", "token")).toBe("/secrets/core-data/token.json");
    expect(gatesDir(s)).toBe("/secrets/.gates");
    expect(gatePath(s, "pki-ready")).toBe("/secrets/.gates/pki-ready");
    expect(bootPath(s)).toBe("/secrets/.gates/boot");
    expect(waiterScriptPath(s)).toBe("/secrets/.gates/wait.sh");
  });

  it("should keep bootgate's own files and the gateway's generated config in their folders", () => {
    expect(bootgateDir("/secrets")).toBe("/secrets/bootgate");
    expect(servicePath("/secrets", "bootgate", "token")).toBe("/secrets/bootgate/token.json");
    expect(localAdminPasswordPath("/secrets")).toBe("/secrets/bootgate/postgres-admin.password");
    expect(nginxDir("/secrets", "gateway")).toBe("/secrets/gateway/nginx");
    expect(kongDir("/secrets", "gateway")).toBe("/secrets/gateway/kong");
  });

  it("should keep the keyring in the state folder", () => {
    expect(keyringPath("/state")).toBe("/state/vault/keyring.json");
  });
});
