/**
 * @module CLI start-up: wall time of `node dist/cli/main.js --help` and of
 * `mcpgov eval` on the reference bundle, each a fresh process, against a
 * bare `node -e ""` (the floor no CLI can go below). Goal: both well under
 * 0.5 s at the median.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { buildBundle } from "../../src/toolchain/build.js";
import { fmt, nowMicros, summarise } from "./stats.js";

const RUNS = Number(process.env["MCPGOV_BENCH_CLI_RUNS"] ?? 30);
const GOAL_MS = 500;

function wallMs(args: string[], cwd: string): number[] {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = nowMicros();
    const run = spawnSync(process.execPath, args, { cwd, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    samples.push((nowMicros() - started) / 1000);
    if (run.status !== 0) throw new Error(`${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  }
  return samples;
}

export async function cliBench(root: string, work: string): Promise<string[]> {
  const bundle = join(work, "cli-bench.tar.gz");
  await buildBundle({ policyDir: join(root, "policy", "reference"), output: bundle, revision: "bench" });
  const main = join(root, "dist", "cli", "main.js");
  const rows: Array<[string, string[]]> = [
    ["node -e '' (floor)", ["-e", ""]],
    ["mcpgov --help", [main, "--help"]],
    ["mcpgov --version", [main, "--version"]],
    ["mcpgov eval (reference bundle)", [main, "eval", "--bundle", bundle, "--input", join(root, "policy", "reference", "examples", "2-production-write.json")]],
  ];
  const lines = [`cli start-up — wall time of a fresh process, ${RUNS} runs each (goal: median < ${GOAL_MS} ms)`];
  for (const [name, args] of rows) {
    const s = summarise(wallMs(args, root));
    const verdict = name.includes("floor") ? "" : s.median < GOAL_MS ? "  met" : "  NOT MET";
    lines.push(`  ${name.padEnd(34)} median ${fmt(s.median, 0).padStart(5)} ms   p99 ${fmt(s.p99, 0).padStart(5)} ms${verdict}`);
  }
  return lines;
}
