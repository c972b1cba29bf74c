/** @module `npm run bench`: every benchmark in one run, printed as medians, p99 and ratios. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/toolchain/opa.js";
import { decisionBench } from "./decision-bench.js";
import { diffBench } from "./diff-bench.js";

const root = packageRoot();
const work = await mkdtemp(join(tmpdir(), "mcpgov-bench-"));
try {
  console.log(`mcpgov bench — node ${process.version}, ${new Date().toISOString()}\n`);
  for (const line of await decisionBench(root, work)) console.log(line);
  console.log("");
  for (const line of await diffBench()) console.log(line);
} finally {
  await rm(work, { recursive: true, force: true });
}
