// What the agent knows about everything it keeps, for /metrics, /healthz and its log: when each
// leaf and token runs out, when it was last renewed, the next try and the last error.
export type KeptKind = "certificate" | "token" | "jwt-key";

export interface KeptItem {
  kind: KeptKind;
  service: string;
  /** ms since the epoch; undefined until first seen. */
  expiresAt?: number;
  renewedAt?: number;
  nextAt?: number;
  lastError?: string;
  /** Failed tries since the last success (the backoff's attempt number). */
  failing: number;
  /** Failed tries ever (the metric's counter). */
  failuresTotal: number;
  serial?: string;
}

export class AgentState {
  readonly items = new Map<string, KeptItem>();
  private sealed: boolean | undefined;
  private sealError: string | undefined;
  /** Told of every failed try (the agent starts watching for Vault's return). */
  onFailed: (() => void) | undefined;
  /** Told of every change worth writing down (the state file for `bootgate status`). */
  onChanged: (() => void) | undefined;

  get vaultSealed(): boolean | undefined {
    return this.sealed;
  }
  set vaultSealed(value: boolean | undefined) {
    if (value === this.sealed) return;
    this.sealed = value;
    this.onChanged?.();
  }
  get vaultError(): string | undefined {
    return this.sealError;
  }
  set vaultError(value: string | undefined) {
    if (value === this.sealError) return;
    this.sealError = value;
    this.onChanged?.();
  }

  item(kind: KeptKind, service: string): KeptItem {
    const key = `${kind}/${service}`;
    let it = this.items.get(key);
    if (!it) {
      it = { kind, service, failing: 0, failuresTotal: 0 };
      this.items.set(key, it);
    }
    return it;
  }

  succeeded(kind: KeptKind, service: string, update: { expiresAt: number; renewed: boolean; nextAt: number; serial?: string }, now: number): KeptItem {
    const it = this.item(kind, service);
    it.expiresAt = update.expiresAt;
    if (update.renewed) it.renewedAt = now;
    it.nextAt = update.nextAt;
    if (update.serial) it.serial = update.serial;
    it.failing = 0;
    delete it.lastError;
    this.onChanged?.();
    return it;
  }

  failed(kind: KeptKind, service: string, error: string, nextAt: number): KeptItem {
    const it = this.item(kind, service);
    it.failing++;
    it.failuresTotal++;
    it.lastError = error;
    it.nextAt = nextAt;
    this.onFailed?.();
    this.onChanged?.();
    return it;
  }

  /** A waiting retry was moved (Vault came back): the next try is now `nextAt`. */
  rescheduled(kind: KeptKind, service: string, nextAt: number): void {
    const it = this.item(kind, service);
    if (it.nextAt === nextAt) return;
    it.nextAt = nextAt;
    this.onChanged?.();
  }

  /** Why the stack's trust is not whole right now, or [] when it is. */
  problems(now: number): string[] {
    const out: string[] = [];
    if (this.vaultSealed === true) out.push("vault is sealed");
    if (this.vaultSealed === undefined) out.push(`vault's seal status is unknown${this.vaultError ? `: ${this.vaultError}` : ""}`);
    for (const it of this.items.values()) {
      if (it.expiresAt === undefined) out.push(`${it.kind} of ${it.service}: not obtained yet${it.lastError ? ` (${it.lastError})` : ""}`);
      else if (it.expiresAt <= now) out.push(`${it.kind} of ${it.service}: expired${it.lastError ? ` (${it.lastError})` : ""}`);
    }
    return out;
  }
}
