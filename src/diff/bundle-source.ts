/**
 * @module The two sides of a diff: each a stamped bundle file, or a policy
 * folder that is built for the diff into a temporary file and removed after.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McpgovError } from "../core/errors.js";
import { WasmPolicyEngine } from "../engine/wasm-engine.js";
import { buildBundle } from "../toolchain/build.js";
import type { BundleSide } from "./diff.js";

export interface DiffSide {
  engine: WasmPolicyEngine;
  side: BundleSide;
}

export interface DiffSides {
  base: DiffSide;
  head: DiffSide;
  /** Removes bundles built for the diff. Safe to call more than once. */
  cleanup(): Promise<void>;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException)?.code === "ENOENT") {
      throw new McpgovError("io_error", `not found: ${path} (expected a bundle .tar.gz or a policy folder)`, { cause });
    }
    throw new McpgovError("io_error", `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}

async function openSide(source: string, name: "base" | "head", work: () => Promise<string>): Promise<DiffSide> {
  if (!(await isDirectory(source))) {
    const engine = await WasmPolicyEngine.fromFile(source);
    return { engine, side: { ...engine.bundle, source, built: false } };
  }
  const built = await buildBundle({ policyDir: source, output: join(await work(), `${name}.tar.gz`) });
  const engine = await WasmPolicyEngine.fromFile(built.output);
  return { engine, side: { ...engine.bundle, source, built: true } };
}

/** Opens both sides at once (two folders build in parallel); on failure nothing is left behind. */
export async function openDiffSides(base: string, head: string): Promise<DiffSides> {
  let workDir: Promise<string> | undefined;
  const work = () => (workDir ??= mkdtemp(join(tmpdir(), "mcpgov-diff-")));
  const cleanup = async () => {
    if (workDir) await rm(await workDir, { recursive: true, force: true });
  };
  const [baseSide, headSide] = await Promise.allSettled([openSide(base, "base", work), openSide(head, "head", work)]);
  if (baseSide.status === "rejected" || headSide.status === "rejected") {
    await cleanup();
    throw baseSide.status === "rejected" ? baseSide.reason : (headSide as PromiseRejectedResult).reason;
  }
  return { base: baseSide.value, head: headSide.value, cleanup };
}
