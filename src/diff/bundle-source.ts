/**
 * @module The two sides of a diff: each a stamped bundle file, or a policy
 * folder that is built for the diff into a temporary file and removed after.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McpgovError } from "../core/errors.js";
import { type Bundle, readBundle } from "../bundle/bundle.js";
import { WasmPolicyEngine } from "../engine/wasm-engine.js";
import { buildBundle } from "../toolchain/build.js";
import type { BundleSide } from "./diff.js";

export interface DiffSide {
  engine: WasmPolicyEngine;
  /** The bundle the engine was loaded from (stamp verified), for worker threads to load too. */
  bundle: Bundle;
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
  const built = (await isDirectory(source)) ? (await buildBundle({ policyDir: source, output: join(await work(), `${name}.tar.gz`) })).output : undefined;
  const bundle = await readBundle(built ?? source);
  const engine = await WasmPolicyEngine.fromBundle(bundle);
  return { engine, bundle, side: { ...engine.bundle, source, built: built !== undefined } };
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
