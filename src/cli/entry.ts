// The process entry point: the only place that ends the process.
// First: heap tuning must be in place before the dependencies load (see heap-flags.ts).
import "./heap-flags.js";
import { main } from "./main.js";

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Stray handles (a watcher, a socket) must not keep a finished command alive; a command that
// hands over to a child (wait -- cmd) has already waited for it.
setTimeout(() => process.exit(code), 50).unref();
