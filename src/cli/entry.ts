// The process entry point: the only place that ends the process.
const argv = process.argv.slice(2);
// First: heap tuning must be in place before a command's dependencies load (see heap-flags.ts).
// Only the commands that hold a boot's worth of objects need it (and the long-running agent, whose
// peak it lowers by 12–23 MB: bench/agent.ts); `wait` (in every container) and `--help` skip
// loading node:v8 for it.
if (["run", "up", "status", "token", "agent"].includes(argv[0] ?? "")) await import("./heap-flags.js");
const { main } = await import("./main.js");

const code = await main(argv);
process.exitCode = code;
// Stray handles (a watcher, a socket) must not keep a finished command alive; a command that
// hands over to a child (wait -- cmd) has already waited for it.
setTimeout(() => process.exit(code), 50).unref();
