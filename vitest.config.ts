import { defineConfig } from "vitest/config";

// The integration files that spend their time waiting for a clock — short-lived leaves and tokens
// to come due, an outage to last, a schedule to fire — rather than on the CPU. They are a project
// of their own that scripts/test-lanes.sh runs as a second vitest process beside the other
// files (vitest puts every project without file parallelism in one single-worker group, so one
// process cannot run two such lanes), each lane one file at a time, so `make test` does not sit
// idle through their waits. Every file uses its own free ports and folders: the lanes share no server.
const timed = [
  "test/integration/enroll/enroll-renew.test.ts",
  "test/integration/enroll/reboot.test.ts",
  "test/integration/agent/snapshot-schedule.test.ts",
  "test/integration/agent/vault-down.test.ts",
  "test/integration/agent/leaf-renewal.test.ts",
  "test/integration/agent/gateway-keeper.test.ts",
  "test/integration/agent/token-keeper.test.ts",
  "test/integration/agent/leaf-kill.test.ts",
  "test/integration/agent/prometheus-alert.test.ts",
  "test/integration/gates/wait-processes.test.ts",
  "test/integration/vault/availability.test.ts",
  // Raft clusters mostly wait for elections, heartbeats and autopilot.
  "test/integration/vault/cluster-status.test.ts",
  "test/integration/vault/cluster-raft.test.ts",
  "test/integration/vault/cluster-quorum.test.ts",
  "test/integration/vault/cluster-leader-kill.test.ts",
  "test/integration/vault/cluster-token-kill.test.ts",
];

// The same for e2e: the up --local renewal test waits for leaves to come due, and the compose
// stack mostly waits for its containers; each runs beside the up --local tests.
const e2eTimed = ["test/e2e/up-local-renewal.test.ts", "test/e2e/compose.test.ts", "test/e2e/compose-vault-cluster.test.ts"];

const integration = {
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // Real servers: one file at a time in each lane keeps the two cores for them.
  fileParallelism: false,
};

const e2e = { testTimeout: 600_000, hookTimeout: 600_000, fileParallelism: false };

// Projects: unit, integration (two lanes: `integration` and `integration-timed`, run side by side
// by `make test-integration`) and e2e (`e2e` and `e2e-timed`, the same way), so `make test` can run them in order and a developer can run one.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 10_000 } },
      { test: { name: "integration", include: ["test/integration/**/*.test.ts"], exclude: timed, ...integration } },
      { test: { name: "integration-timed", include: timed, ...integration } },
      { test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], exclude: e2eTimed, ...e2e } },
      { test: { name: "e2e-timed", include: e2eTimed, ...e2e } },
    ],
  },
});
