// Everything `up --local` starts is stopped whenever `up` stops: on SIGINT or SIGTERM at any
// moment of the boot by `up` itself; on kill -9 or a crash by its watchdog; on a power loss (or
// a watchdog killed too) by the next `up`, from the record in the state folder.
import { mkdirSync } from "node:fs";
import type { Config } from "../config/normalize.js";
import { liveDetached, stopAllDetached, watchDetached } from "../servers/detached-children.js";
import { identityOf } from "../servers/proc-identity.js";
import { clearLeftovers, type LeftoverScope } from "./leftovers.js";
import { removeRecord, writeRecord } from "./process-record.js";
import { isMountPoint } from "./secrets-volume.js";
import { unmountIfMounted } from "./unmount.js";
import { startWatchdog } from "./watchdog-link.js";

export interface StopReport {
  stopped: string[];
  unmounted: boolean;
  /** What could not be done; the rest was done anyway. */
  problems: string[];
}

export class StackGuard {
  private constructor(
    private readonly scope: LeftoverScope,
    private readonly release: () => void,
  ) {}

  /** Clears what a crashed `up` left (or refuses, naming the stranger), then starts guarding. */
  static async open(scope: LeftoverScope, say: (line: string) => void): Promise<StackGuard> {
    mkdirSync(scope.stateDir, { recursive: true, mode: 0o711 });
    await clearLeftovers(scope, say);
    const watchdog = startWatchdog(scope.stateDir, scope.secretsDir);
    const watchdogIdentity = identityOf(watchdog.pid);
    let warned = false;
    const record = () => {
      try {
        writeRecord(scope.stateDir, liveDetached(), watchdogIdentity);
      } catch (error) {
        // The watchdog still knows; only the next `up`'s fallback is weaker.
        if (!warned) say(`could not write the record of running parts in ${scope.stateDir}: ${(error as Error).message}`);
        warned = true;
      }
    };
    record();
    const unwatch = watchDetached({ started: record, ended: record });
    return new StackGuard(scope, () => {
      unwatch();
      removeRecord(scope.stateDir);
      watchdog.release();
    });
  }

  /** Stops every part started so far, newest first, then unmounts the tmpfs. `hurry`: SIGKILL at once. */
  async stop(options: { hurry?: boolean } = {}): Promise<StopReport> {
    const problems: string[] = [];
    // Looked at first: the boot's own clean-up may unmount it while the parts are stopping.
    const mounted = await isMountPoint(this.scope.secretsDir);
    const stopped = await stopAllDetached(options).catch((error: Error) => (problems.push(error.message), [] as string[]));
    await unmountIfMounted(this.scope.secretsDir).catch((error: Error) => problems.push(error.message));
    return { stopped, unmounted: mounted && !(await isMountPoint(this.scope.secretsDir)), problems };
  }

  /** Everything is stopped: the record goes, and the watchdog leaves without acting. */
  close(): void {
    this.release();
  }
}

/** Each local cluster node's API port and its cluster port (+1). */
const localNodePorts = (config: Config) =>
  config.vault.cluster.addresses.flatMap((address, i) => {
    const name = config.vault.cluster.names[i]!;
    const port = Number(new URL(address).port || 443);
    return [
      { port, what: `Vault node ${name}, vault.cluster.addresses.${i}`, moveWith: "BOOTGATE_VAULT_ADDR" },
      { port: port + 1, what: `Vault node ${name}'s cluster port, vault.cluster.addresses.${i} + 1`, moveWith: "BOOTGATE_VAULT_ADDR" },
    ];
  });

/** The folders and ports of the stack a config describes. */
export function leftoverScopeOf(config: Config, examplePorts: { name: string; port: number }[], postgresDataDir: string): LeftoverScope {
  const vaultPort = Number(new URL(config.vault.address).port || 8200);
  return {
    stateDir: config.stateDir,
    secretsDir: config.secretsDir,
    postgresDataDir,
    ports: [
      ...(config.vault.cluster.addresses.length > 1
        ? localNodePorts(config)
        : [
            { port: vaultPort, what: "Vault, vault.address", moveWith: "BOOTGATE_VAULT_ADDR" },
            { port: vaultPort + 1, what: "Vault's cluster port, vault.address + 1", moveWith: "BOOTGATE_VAULT_ADDR" },
          ]),
      { port: config.postgres.port, what: "PostgreSQL, postgres.port", moveWith: "BOOTGATE_PG_PORT" },
      { port: config.gateway.nginx.listen, what: "the gateway, gateway.nginx.listen", moveWith: "BOOTGATE_GATEWAY_PORT" },
      ...examplePorts.map((s) => ({ port: s.port, what: `the example service ${s.name}`, moveWith: "BOOTGATE_EXAMPLE_BASE_PORT" })),
      { port: config.agent.listen.port, what: "the agent, agent.listen", moveWith: "BOOTGATE_AGENT_LISTEN" },
    ],
  };
}
