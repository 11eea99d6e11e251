import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.js";

describe("bootgate wait --reload-signal: bad flags", () => {
  it.each([
    ["an unknown signal", ["pki-ready", "--reload-signal", "SIGBOGUS", "--service", "a", "--", "true"], /--reload-signal.*SIGBOGUS/],
    ["SIGKILL", ["pki-ready", "--reload-signal", "SIGKILL", "--service", "a", "--", "true"], /--reload-signal.*not SIGKILL/],
    ["no command to signal", ["pki-ready", "--reload-signal", "SIGHUP", "--service", "a"], /needs a command/],
    ["no service", ["pki-ready", "--reload-signal", "SIGHUP", "--", "true"], /--service NAME/],
    ["a service name that leaves the folder", ["pki-ready", "--reload-signal", "SIGHUP", "--service", "../ca", "--", "true"], /--service.*DNS label/],
  ])("should exit 2 naming the flag for %s", async (_title, argv, message) => {
    const env = { ...process.env };
    delete process.env.BOOTGATE_SERVICE;
    delete process.env.BOOTGATE_CONFIG;
    try {
      const { code, stderr } = await runCli(["wait", ...argv]);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
    } finally {
      process.env = env;
    }
  });
});
