/** @module Builds and rewrites bundles for tests. */
import { cp, mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readBundleArchive, writeBundleArchive } from "../../src/bundle/archive.js";
import { bundleContentHash, parseJsonFile } from "../../src/bundle/hash.js";
import { withStamp } from "../../src/bundle/manifest.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { runOpa } from "../../src/toolchain/opa.js";
import { repoRoot } from "./cli.js";

export const referencePolicy = join(repoRoot, "policy", "reference");

export async function tempDir(prefix = "mcpgov-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function buildReference(dir: string, name = "reference.tar.gz"): Promise<string> {
  const output = join(dir, name);
  await buildBundle({ policyDir: referencePolicy, output, revision: "test" });
  return output;
}

/** Copies the reference policy so a test can break it. */
export async function copyReference(dir: string): Promise<string> {
  const target = join(dir, "policy");
  await cp(referencePolicy, target, { recursive: true });
  return target;
}

export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** Rewrites one file of a bundle, keeping its old stamp: what a tamperer does. */
export async function tamper(bundlePath: string, output: string, file: string, change: (bytes: Buffer) => Buffer): Promise<void> {
  const files = await readBundleArchive(bundlePath);
  files.set(file, change(files.get(file)!));
  await writeBundleArchive(output, files);
}

/**
 * Compiles raw Rego with `opa build -t wasm` (no mcpgov library) and stamps
 * it, to give the engine policies the library would never produce.
 */
export async function buildRawBundle(dir: string, rego: string | Record<string, string>, entrypoints: readonly string[] = ["mcpgov/decision/result"]): Promise<string> {
  const src = join(dir, "raw-src");
  await rm(src, { recursive: true, force: true });
  await writeFiles(src, typeof rego === "string" ? { "policy.rego": rego } : rego);
  const raw = join(dir, "raw-opa.tar.gz");
  const run = await runOpa(["build", "-t", "wasm", "-b", ".", ...entrypoints.flatMap((e) => ["-e", e]), "-o", raw], { cwd: src });
  if (run.status !== 0) throw new Error(run.stderr);
  const files = await readBundleArchive(raw);
  const manifest = parseJsonFile(".manifest", files.get(".manifest")!) as Record<string, unknown>;
  files.set(".manifest", Buffer.from(JSON.stringify(withStamp(manifest, bundleContentHash(files)))));
  const output = join(dir, "raw.tar.gz");
  await writeBundleArchive(output, files);
  return output;
}
