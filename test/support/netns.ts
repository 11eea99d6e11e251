// "Another host" for the enrollment tests: a network namespace of its own with one veth pair to
// this one (a /30: the host side .1, the namespace .2) and its own loopback. From inside it, only
// what listens on the host side's address is reachable: nothing on this host's 127.0.0.1 (Vault,
// the agent's /metrics) is. Needs root and iproute2; without them the test fails saying so.
//
//   await using ns = await makeNetns();
//   await startEnrollStack({ host: ns.hostAddress });
//   await ns.exec(["node", "bin/bootgate.js", "enroll", ...]);
import { randomBytes } from "node:crypto";
import { execa } from "execa";

export interface Netns extends AsyncDisposable {
  name: string;
  /** This host's end of the veth pair: what the enrollee reaches. */
  hostAddress: string;
  /** The namespace's own address. */
  nsAddress: string;
  /** Runs a command inside the namespace; never throws for its exit code. */
  exec(command: string[], options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Whether a TCP connection from inside the namespace to host:port is accepted. */
  canConnect(host: string, port: number): Promise<boolean>;
}

const HOW = "run the integration tests as root on a host with iproute2 (`apt-get install iproute2`) and network namespaces (`ip netns add` must work)";

async function ip(args: string[]): Promise<void> {
  const run = await execa("ip", args, { reject: false, stdin: "ignore" });
  if (run.exitCode !== 0)
    throw new Error(`cannot make the test's network namespace: \`ip ${args.join(" ")}\` failed (${run.stderr.trim() || run.exitCode}); ${HOW}`);
}

export async function makeNetns(): Promise<Netns> {
  if (process.getuid?.() !== 0) throw new Error(`the enrollee's network namespace needs root (uid ${process.getuid?.()}): ${HOW}`);
  const id = randomBytes(3).toString("hex");
  const name = `bgenroll-${id}`;
  const hostIf = `bge${id}h`;
  const nsIf = `bge${id}n`;
  // A random /30 in 10.200.0.0/13, so parallel runs do not collide.
  const a = 200 + (parseInt(id.slice(0, 2), 16) % 8);
  const b = parseInt(id.slice(2, 4), 16);
  const c = (parseInt(id.slice(4, 6), 16) % 64) * 4;
  const hostAddress = `10.${a}.${b}.${c + 1}`;
  const nsAddress = `10.${a}.${b}.${c + 2}`;
  const teardown = async () => {
    // Deleting the namespace deletes its veth end, and with it the pair.
    await execa("ip", ["netns", "del", name], { reject: false, stdin: "ignore" });
    await execa("ip", ["link", "del", hostIf], { reject: false, stdin: "ignore" });
  };
  try {
    await ip(["netns", "add", name]);
    await ip(["link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
    await ip(["link", "set", nsIf, "netns", name]);
    await ip(["addr", "add", `${hostAddress}/30`, "dev", hostIf]);
    await ip(["link", "set", hostIf, "up"]);
    await ip(["netns", "exec", name, "ip", "addr", "add", `${nsAddress}/30`, "dev", nsIf]);
    await ip(["netns", "exec", name, "ip", "link", "set", nsIf, "up"]);
    await ip(["netns", "exec", name, "ip", "link", "set", "lo", "up"]);
  } catch (error) {
    await teardown();
    throw error;
  }
  const exec: Netns["exec"] = async (command, options = {}) => {
    const run = await execa("ip", ["netns", "exec", name, ...command], {
      reject: false,
      stdin: "ignore",
      env: { ...options.env, BOOTGATE_CONFIG: "" },
      timeout: options.timeoutMs ?? 60_000,
    });
    return { code: run.exitCode ?? -1, stdout: run.stdout, stderr: run.stderr };
  };
  return {
    name,
    hostAddress,
    nsAddress,
    exec,
    async canConnect(host, port) {
      const probe =
        "const s=require('net').connect({host:process.argv[1],port:+process.argv[2],timeout:3000});" +
        "s.on('connect',()=>{console.log('open');s.destroy()});s.on('timeout',()=>{console.log('timeout');s.destroy()});s.on('error',e=>console.log(e.code))";
      const run = await exec([process.execPath, "-e", probe, host, String(port)]);
      return run.stdout.trim() === "open";
    },
    [Symbol.asyncDispose]: teardown,
  };
}
