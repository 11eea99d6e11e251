import { gateIsCurrent, listGates, readBoot } from "../gates/gate-file.js";
import type { StatusProvider } from "./section.js";

export const gatesStatus: StatusProvider = async (config) => {
  const boot = await readBoot(config.secretsDir);
  const gates = await listGates(config.secretsDir);
  return {
    key: "gates",
    title: `gates (boot ${boot?.bootId ?? "none"})`,
    columns: ["gate", "opened", "boot id", "current"],
    rows: gates.map((g) => [g.gate, g.time, g.bootId, gateIsCurrent(g, boot) ? "yes" : "no (stale)"]),
    data: { boot: boot ?? null, gates: gates.map((g) => ({ ...g, current: gateIsCurrent(g, boot) })) },
  };
};
