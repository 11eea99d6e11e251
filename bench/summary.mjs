// The table of issue #18, from the newest results of the benches `make bench` just ran (each
// row's figure beside its peer from the same run): bench/results/cold.json, pki-*.json, up.json,
// compose.json.
// Usage: node bench/summary.mjs   (a row whose bench has not run says so)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fmt, ROOT } from "./lib.mjs";

const dir = join(ROOT, "bench", "results");
const read = (name) => (existsSync(join(dir, name)) ? JSON.parse(readFileSync(join(dir, name), "utf8")) : undefined);
const newest = (prefix) => {
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.startsWith(prefix) && f.endsWith(".json"))
        .sort()
    : [];
  return files.length ? read(files.at(-1)) : undefined;
};
const x = (a, b) => `${(a / b).toFixed(1)}×`;
const rows = [];

const cold = read("cold.json");
if (cold) {
  const base = cold.stats["node -e 0"];
  const sh = cold.stats["wait.sh"];
  for (const [name, label] of [
    ["wait (open)", "`bootgate wait pki-ready -- true`, open gate, cold process"],
    ["--help", "`bootgate --help`, cold process"],
  ]) {
    const s = cold.stats[name];
    const ok = s.wallP50 <= 2 * base.wallP50 && s.rssMax < 45;
    rows.push([
      label,
      `${fmt(s.wallP50)} ms, ${s.rssMax.toFixed(1)} MB`,
      `node -e 0 ${fmt(base.wallP50)} ms, ${base.rssMax.toFixed(1)} MB; wait.sh ${fmt(sh.wallP50)} ms`,
      x(s.wallP50, base.wallP50),
      `≤ 2×, < 45 MB: ${ok ? "met" : "not met"}`,
    ]);
  }
} else rows.push(["bootgate wait / --help, cold", "-", "-", "-", "run node bench/cold.mjs"]);

const pki = newest("pki-");
const at200 = pki?.results?.["200"];
if (at200) {
  const w = at200.wallMs;
  rows.push([
    "`bootgate run --only pki-init`, 200 services, cold process",
    `${fmt(w.oursCli)} ms`,
    `cfssl ${fmt(w.cfssl)} ms`,
    x(w.cfssl, w.oursCli) + " faster",
    `≥ 20×: ${w.cfssl / w.oursCli >= 20 ? "met" : "not met"}`,
  ]);
  rows.push([
    "pki-init's own work, 200 services (bench/pki)",
    `${fmt(w.ours)} ms`,
    `floor ${fmt(w.floor)} ms`,
    x(w.ours, w.floor),
    `≤ 5×: ${w.ours / w.floor <= 5 ? "met" : "not met"}`,
  ]);
} else rows.push(["pki-init, 200 services", "-", "-", "-", "run npx tsx bench/pki/run.ts"]);

const up = read("up.json");
if (up?.runs) {
  // The medians of the rounds where bench/up.mjs saved them, else its one round.
  const boots = up.medians ?? up.runs;
  const first = boots.find((r) => r.label === "first boot");
  const again = boots.find((r) => r.label === "reboot");
  if (first && again)
    rows.push([
      "`make up`, first boot / reboot to the summary",
      `${fmt(first.totalMs)} / ${fmt(again.totalMs)} ms`,
      "-",
      "-",
      `< 4 s / < 1.5 s: ${first.totalMs < 4000 && again.totalMs < 1500 ? "met" : "not met"}`,
    ]);
}

const compose = read("compose.json");
if (compose?.results) {
  // Each mount mode's first boots, from the start of `up -d` to every gate of the boot open.
  for (const mode of [...new Set(compose.results.map((r) => r.mode))]) {
    const firsts = compose.results.filter((r) => r.mode === mode && /first boot/.test(r.label)).map((r) => r.gatesMs);
    if (firsts.length === 0) continue;
    const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
    rows.push([
      `compose first boot, all gates open (${mode}, mean of ${firsts.length})`,
      `${fmt(mean)} ms`,
      "-",
      "-",
      `< 5 s: ${mean < 5000 ? "met" : "not met"}`,
    ]);
  }
} else rows.push(["compose first boot", "-", "-", "-", "run node bench/compose.mjs (root, Docker)"]);

console.log("\nIssue #18, fast from cold (newest results under bench/results; each figure beside its peer from the same run)\n");
const md = (cells) => `| ${cells.join(" | ")} |`;
console.log([md(["what", "now", "beside it", "ratio", "target"]), md(["---", "---", "---", "---", "---"]), ...rows.map(md)].join("\n"));
const loads = [cold && `cold ${cold.load.map((l) => l.toFixed(1)).join(" → ")}`, pki?.load !== undefined && `pki ${pki.load}`].filter(Boolean);
if (loads.length) console.log(`\nload average during the runs: ${loads.join("; ")}`);
