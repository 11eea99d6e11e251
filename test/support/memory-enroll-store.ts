// An EnrollStore in memory, for unit tests of the token rules (the Vault one, with its
// check-and-set, is tested against a real OpenBao in test/integration/enroll/).
import { randomBytes } from "node:crypto";
import type { EnrollKey, EnrollStore } from "../../src/enroll/enroll-store.js";

export function memoryEnrollStore(): EnrollStore & { records: Map<string, { service: string; used?: number; expiresAtMs?: number }> } {
  let key: EnrollKey | undefined;
  const records = new Map<string, { service: string; used?: number; expiresAtMs?: number }>();
  return {
    records,
    ensureKey: () => Promise.resolve((key ??= { secret: randomBytes(32), keyId: randomBytes(6).toString("hex") })),
    readKey: () => Promise.resolve(key),
    recordToken(jti, service, expiresAtMs) {
      if (records.has(jti)) return Promise.reject(new Error("exists"));
      records.set(jti, { service, expiresAtMs });
      return Promise.resolve();
    },
    useToken(jti, service, nowMs) {
      const r = records.get(jti);
      if (!r) return Promise.resolve({ ok: false, reason: "unknown token" });
      if (r.service !== service) return Promise.resolve({ ok: false, reason: "token recorded for another service" });
      if (r.used !== undefined) return Promise.resolve({ ok: false, reason: "token already used" });
      r.used = nowMs;
      return Promise.resolve({ ok: true });
    },
    tidyTokens(beforeMs) {
      let removed = 0;
      for (const [jti, r] of records) {
        if (r.expiresAtMs !== undefined && r.expiresAtMs < beforeMs && records.delete(jti)) removed++;
      }
      return Promise.resolve(removed);
    },
  };
}
