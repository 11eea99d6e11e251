// Preloaded with `node -r` by bench/sequence.ts: prints the process's peak RSS when it exits.
process.on("exit", () => process.stderr.write(`\nbench-maxrss-kb ${process.resourceUsage().maxRSS}\n`));
