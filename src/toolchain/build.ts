/** @module `mcpgov build`: Rego (and data) → OPA WASM bundle → stamped with its content hash. */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { McpgovError } from "../core/errors.js";
import { type BundleFiles, readBundleArchive, writeBundleArchive } from "../bundle/archive.js";
import { bundleContentHash, parseJsonFile } from "../bundle/hash.js";
import { INPUT_PATHS_KEY, ManifestSchema, MCPGOV_ROOTS, withStamp } from "../bundle/manifest.js";
import { CATALOG_ENTRYPOINT, DECISION_ENTRYPOINT, OUTPUT_ENTRYPOINT } from "../engine/policy-engine.js";
import { opaBuiltinNames, wasmCapabilities } from "./capabilities.js";
import { displayPath, parseOpaErrors } from "./diagnostics.js";
import { inputPathsOfPolicy } from "./input-paths.js";
import { runOpa } from "./opa.js";
import { type StagedPolicy, stagePolicy } from "./stage.js";

export interface BuildOptions {
  policyDir: string;
  output: string;
  revision?: string;
  entrypoints?: readonly string[];
}

export interface BuildResult {
  output: string;
  hash: string;
  revision: string;
  entrypoints: string[];
  files: string[];
}

/** All live in one policy.wasm; the engine loads them from the same module. */
export const DEFAULT_ENTRYPOINTS: readonly string[] = [DECISION_ENTRYPOINT, OUTPUT_ENTRYPOINT, CATALOG_ENTRYPOINT];

const WASM_MODULE = "policy.wasm";

/** Test files are for `opa test`; they never ship in a bundle. */
const IGNORE = ["--ignore", "*_test.rego"];

async function assertDirectory(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch {
    // reported below
  }
  throw new McpgovError("io_error", `policy directory not found: ${dir}`);
}

/**
 * Checks the policy against the WASM capabilities and the input schemas
 * first: `opa check` reports every error with file and line in JSON, where
 * `opa build` stops at text. The schemas type `input` per package (see
 * input-types.ts), so a misspelt or mistyped input field is an error here.
 */
export async function checkPolicy(staged: StagedPolicy, policyDir: string, capabilitiesFile: string): Promise<void> {
  const args = ["check", "-b", ".", "--capabilities", capabilitiesFile, "--schema", staged.schemaDir, "--format", "json", ...IGNORE];
  const run = await runOpa(args, { cwd: staged.dir });
  if (run.status === 0) return;
  const diagnostics = parseOpaErrors(run.stderr || run.stdout, stagedFileMapper(staged), await opaBuiltinNames());
  throw new McpgovError("policy_compile_error", `policy in ${displayPath(policyDir)} does not compile`, { data: { diagnostics } });
}

/** opa prints paths relative to the staged folder, sometimes with its name in front. */
export function stagedFileMapper(staged: StagedPolicy): (opaPath: string) => string {
  return (opaPath) => staged.originOf(isAbsolute(opaPath) ? relative(staged.dir, opaPath) : opaPath);
}

/**
 * The bundle as OPA itself reads it, from what `opa build` compiled: its
 * policy.wasm and merged data.json, with the staged Rego sources in full
 * beside them (`opa build -t wasm` keeps the Rego with the entrypoint rules
 * cut out, which topdown cannot evaluate). The manifest claims only
 * mcpgov's root and records the WASM entrypoints under metadata.mcpgov.wasm
 * (see wasmEntrypointsOf), so `opa run --bundle`, `opa eval -b` and
 * `opa inspect` load it with or without a WASM engine.
 */
async function bundleFiles(staged: StagedPolicy, compiled: BundleFiles, revision: string, entrypoints: readonly string[]): Promise<BundleFiles> {
  const wasm = compiled.get(WASM_MODULE);
  if (!wasm) throw new McpgovError("bundle_invalid", `internal error: opa build wrote no ${WASM_MODULE}`);
  const opaManifest = ManifestSchema.parse(parseJsonFile(".manifest", compiled.get(".manifest") ?? Buffer.from("{}")));
  const manifest = {
    revision,
    roots: [...MCPGOV_ROOTS],
    ...(opaManifest.rego_version !== undefined ? { rego_version: opaManifest.rego_version } : {}),
    metadata: { mcpgov: { wasm: opaManifest.wasm ?? [], ...(await inputPathsRecord(staged, entrypoints)) } },
  };
  const files: BundleFiles = new Map([
    [".manifest", Buffer.from(JSON.stringify(manifest))],
    ["data.json", compiled.get("data.json") ?? Buffer.from("{}")],
    [WASM_MODULE, wasm],
  ]);
  for (const rel of staged.regoSources) files.set(rel, await readFile(join(staged.dir, rel)));
  return files;
}

/**
 * The input paths the decision policy reads, for the engine to pass WASM
 * only those (see src/toolchain/input-paths.ts); nothing when it reads all.
 * Output and catalog inputs are small, and are passed whole.
 */
async function inputPathsRecord(staged: StagedPolicy, entrypoints: readonly string[]): Promise<Record<string, unknown>> {
  if (!entrypoints.includes(DECISION_ENTRYPOINT)) return {};
  const paths = await inputPathsOfPolicy(staged.dir, staged.regoSources, DECISION_ENTRYPOINT);
  return paths === true ? {} : { [INPUT_PATHS_KEY]: { [DECISION_ENTRYPOINT]: paths } };
}

export async function buildBundle(options: BuildOptions): Promise<BuildResult> {
  const policyDir = resolve(options.policyDir);
  await assertDirectory(policyDir);
  // The library is always staged, so every policy has output and catalog packages.
  const entrypoints = options.entrypoints ?? DEFAULT_ENTRYPOINTS;
  const revision = options.revision ?? "";
  const work = await mkdtemp(join(tmpdir(), "mcpgov-build-"));
  const staged = await stagePolicy(policyDir).catch(async (error: unknown) => {
    await rm(work, { recursive: true, force: true });
    throw error;
  });
  try {
    const capabilitiesFile = join(work, "capabilities.json");
    await writeFile(capabilitiesFile, JSON.stringify(await wasmCapabilities()));
    // OPA refuses, with the file, a package or data key outside the roots.
    await writeFile(join(staged.dir, ".manifest"), JSON.stringify({ roots: MCPGOV_ROOTS }));
    await checkPolicy(staged, policyDir, capabilitiesFile);

    const raw = join(work, "opa-bundle.tar.gz");
    const args = ["build", "-t", "wasm", "-b", ".", "--capabilities", capabilitiesFile, "--revision", revision, "-o", raw, ...IGNORE];
    for (const entrypoint of entrypoints) args.push("-e", entrypoint);
    const run = await runOpa(args, { cwd: staged.dir });
    if (run.status !== 0) {
      const diagnostics = parseOpaErrors(run.stderr || run.stdout, stagedFileMapper(staged), await opaBuiltinNames());
      throw new McpgovError("policy_compile_error", `opa build failed for ${displayPath(policyDir)}`, { data: { diagnostics } });
    }

    const files = await bundleFiles(staged, await readBundleArchive(raw), revision, entrypoints);
    const hash = bundleContentHash(files);
    const manifest = parseJsonFile(".manifest", files.get(".manifest")!) as Record<string, unknown>;
    files.set(".manifest", Buffer.from(JSON.stringify(withStamp(manifest, hash))));
    if (bundleContentHash(files) !== hash) {
      throw new McpgovError("bundle_invalid", "internal error: stamping changed the content hash");
    }
    const output = resolve(options.output);
    await writeBundleArchive(output, files);
    return { output, hash, revision, entrypoints: [...entrypoints], files: [...files.keys()].sort() };
  } finally {
    await rm(work, { recursive: true, force: true });
    await staged.cleanup();
  }
}
