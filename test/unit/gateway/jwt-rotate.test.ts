import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureJwtKey, jwtKeyPath, readJwtKey, readJwtKeyRing, rotateJwtKey } from "../../../src/gateway/jwt-key.js";
import type { KvClient } from "../../../src/vault/kv-client.js";
import { runCli } from "../../support/cli.js";
import { configRefusal, parseConfig } from "../../support/config-text.js";
import { tempDir } from "../../support/tmp-dir.js";

function mapKv(): KvClient & { data: Map<string, Record<string, unknown>> } {
  const data = new Map<string, Record<string, unknown>>();
  return { data, read: async (k) => data.get(k), write: async (k, v) => void data.set(k, v) };
}

describe("gateway.jwt.rotate", () => {
  it("should default to 30 days and read a duration", () => {
    expect(parseConfig("services: []\n").gateway.jwt.rotateMs).toBe(30 * 86_400_000);
    expect(parseConfig("services: []\ngateway:\n  jwt:\n    rotate: 12h\n").gateway.jwt.rotateMs).toBe(12 * 3_600_000);
  });

  it.each([
    ["not a duration", "soon", /expected a duration/],
    ["shorter than a second", "500ms", /at least 1s/],
  ])("should refuse a rotate that is %s naming the field", (_title, value, expected) => {
    const issue = configRefusal(`services: []\ngateway:\n  jwt:\n    rotate: ${value}\n`).issues.find((i) => i.path === "gateway.jwt.rotate");
    expect(issue?.message).toMatch(expected);
  });

  it("should exit 2 naming the file and gateway.jwt.rotate", async () => {
    await using dir = await tempDir();
    const file = join(dir.path, "bootgate.yaml");
    await writeFile(file, "secretsDir: ./secrets\nstateDir: ./state\nservices: []\ngateway:\n  jwt:\n    rotate: often\n");
    const { code, stderr } = await runCli(["agent", "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toContain("gateway.jwt.rotate:");
  });
});

describe("the JWT key ring in Vault", () => {
  it("should keep the newest key and the one before it, dropping the one two rotations old", async () => {
    const kv = mapKv();
    const first = await ensureJwtKey(kv, "gateway", 1_000);
    expect(first.created).toBe(true);
    const second = await rotateJwtKey(kv, "gateway", 2_000);
    expect(second.previous?.secret).toBe(first.key.secret);
    const third = await rotateJwtKey(kv, "gateway", 3_000);
    const ring = await readJwtKeyRing(kv, "gateway");
    expect(ring).toEqual({ key: third.key, previous: second.key, createdAt: 3_000 });
    expect(JSON.stringify(kv.data.get(jwtKeyPath("gateway")))).not.toContain(first.key.secret);
    // `bootgate token` signs with the newest.
    expect((await readJwtKey(kv, "gateway"))?.secret).toBe(third.key.secret);
  });

  it("should read a record written before rotation existed (no created_at, no previous key)", async () => {
    const kv = mapKv();
    const secret = Buffer.alloc(32, 1).toString("base64url");
    await kv.write(jwtKeyPath("gateway"), { secret, algorithm: "HS256", key_id: "k" });
    expect(await readJwtKeyRing(kv, "gateway")).toEqual({ key: { secret, algorithm: "HS256", keyId: "k" } });
    expect((await ensureJwtKey(kv, "gateway")).created).toBe(false);
  });

  it("should refuse a previous key that is too short, naming the record and the field", async () => {
    const kv = mapKv();
    await kv.write(jwtKeyPath("gateway"), { secret: Buffer.alloc(32, 1).toString("base64url"), algorithm: "HS256", key_id: "k", previous_secret: "c2hvcnQ" });
    await expect(readJwtKeyRing(kv, "gateway")).rejects.toThrow(/gateway\/jwt.*previous_secret/);
  });
});
