import { describe, expect, it } from "vitest";
import { findComposeProject } from "../../../src/docker/compose-project.js";
import { FakeEngine, fakeContainer } from "../../support/docker-fakes.js";

const self = fakeContainer({ name: "stack-init-1", project: "stack", service: "init" });
self.id = "0123456789abcdef0123";

describe("finding the compose project", () => {
  it("should prefer docker.project, then BOOTGATE_COMPOSE_PROJECT, without asking the engine", async () => {
    const reader = new FakeEngine([self]);
    const inContainer = async () => true;
    expect(await findComposeProject({ configured: "a", env: { BOOTGATE_COMPOSE_PROJECT: "b" }, reader, inContainer })).toEqual({
      found: true,
      name: "a",
      from: "docker.project",
    });
    expect(await findComposeProject({ configured: undefined, env: { BOOTGATE_COMPOSE_PROJECT: "b" }, reader, inContainer })).toEqual({
      found: true,
      name: "b",
      from: "BOOTGATE_COMPOSE_PROJECT",
    });
    expect(reader.calls).toEqual([]);
  });

  it("should read the project label of bootgate's own container, found by its hostname", async () => {
    const reader = new FakeEngine([self]);
    const found = await findComposeProject({ configured: undefined, env: {}, reader, hostname: "0123456789ab", inContainer: async () => true });
    expect(found).toEqual({ found: true, name: "stack", from: "own container" });
    expect(reader.calls).toEqual(["inspect 0123456789ab"]);
  });

  it("should not inspect anything by hostname when bootgate does not run in a container", async () => {
    const reader = new FakeEngine([self]);
    const found = await findComposeProject({ configured: undefined, env: {}, reader, hostname: "0123456789ab", inContainer: async () => false });
    expect(found).toEqual({ found: false, reason: "bootgate does not run in a container; set docker.project or BOOTGATE_COMPOSE_PROJECT" });
    expect(reader.calls).toEqual([]);
  });

  it("should say so when its own container is unknown to the engine or has no project label", async () => {
    const unknown = await findComposeProject({ configured: undefined, env: {}, reader: new FakeEngine([]), hostname: "abc", inContainer: async () => true });
    expect(unknown).toEqual({
      found: false,
      reason: "no container named abc (bootgate's hostname) in the engine; set docker.project or BOOTGATE_COMPOSE_PROJECT",
    });
    const plain = fakeContainer({ name: "plain" });
    const unlabelled = await findComposeProject({
      configured: undefined,
      env: {},
      reader: new FakeEngine([plain]),
      hostname: "plain",
      inContainer: async () => true,
    });
    expect(unlabelled.found).toBe(false);
    if (!unlabelled.found) expect(unlabelled.reason).toContain("has no com.docker.compose.project label");
  });
});
