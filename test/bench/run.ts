/** @module `npm run bench`: every benchmark in one run, printed as medians, p99 and ratios. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/toolchain/opa.js";
import { auditBench } from "./audit-bench.js";
import { cliBench } from "./cli-bench.js";
import { decisionBench } from "./decision-bench.js";
import { diffBench } from "./diff-bench.js";
import { gatewayBench } from "./gateway-bench.js";
import { scanBench } from "./scan-bench.js";
import { tracingBench } from "./tracing-bench.js";

const root = packageRoot();
const work = await mkdtemp(join(tmpdir(), "mcpgov-bench-"));
const only = process.argv.slice(2);
const benches: Array<[string, () => Promise<string[]>]> = [
  ["decision", () => decisionBench(root, work)],
  ["diff", () => diffBench()],
  ["audit", () => auditBench(work)],
  ["gateway", () => gatewayBench(root, work)],
  ["scan", () => scanBench()],
  ["tracing", () => tracingBench()],
  ["cli", () => cliBench(root, work)],
];
try {
  console.log(`mcpgov bench — node ${process.version}, ${new Date().toISOString()}`);
  for (const [name, bench] of benches) {
    if (only.length > 0 && !only.includes(name)) continue;
    console.log("");
    for (const line of await bench()) console.log(line);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
// Child processes and sockets of the benches must not keep the run alive.
process.exit(0);
