/**
 * @module Stages a policy folder for OPA: mcpgov's Rego library plus the
 * user's rules, data and YAML rule files, in one temporary bundle folder.
 *
 * The library (policy/lib: combining, helpers, the YAML rule evaluator)
 * ships with mcpgov, so a policy folder holds only its own rules and every
 * bundle combines decisions the same way. Beside them go the input types
 * the checker needs (input-types.ts), which no bundle ships.
 */
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { McpgovError } from "../core/errors.js";
import { packageRoot } from "./opa.js";
import { INPUT_TYPES_DIR, stageInputTypes } from "./input-types.js";
import { listPolicyFiles } from "./policy-files.js";
import { stageYamlRules } from "./yaml-rules.js";

export interface StagedPolicy {
  /** The folder to run `opa` in, with `-b .`. */
  dir: string;
  /**
   * The input schemas for `--schema` (envelope.json, output-input.json,
   * catalog-input.json); the staged folder holds the modules that attach
   * them to packages (see input-types.ts).
   */
  schemaDir: string;
  /** The Rego modules a bundle ships, relative to `dir`: library and user rules, no `_test.rego`. */
  regoSources: string[];
  /** Maps a path relative to `dir` back to the file the user (or mcpgov) wrote. */
  originOf(stagedPath: string): string;
  cleanup(): Promise<void>;
}

export const libraryDir = (): string => join(packageRoot(), "policy", "lib");

/** Files OPA reads from a bundle folder; anything else (examples, notes) stays out. */
function isBundleSource(name: string): boolean {
  return name.endsWith(".rego") || name === "data.json" || name === "data.yaml" || name === ".manifest";
}

const isShippedRego = (rel: string): boolean => rel.endsWith(".rego") && !rel.endsWith("_test.rego");

const listSources = (root: string): Promise<string[]> => listPolicyFiles(root, isBundleSource);

export async function stagePolicy(policyDir: string): Promise<StagedPolicy> {
  const userDir = resolve(policyDir);
  const library = libraryDir();
  const root = await mkdtemp(join(tmpdir(), "mcpgov-stage-"));
  const dir = join(root, "bundle");
  const schemaDir = join(root, "schemas");
  const origins = new Map<string, string>();
  try {
    const sameAsLibrary = userDir === library;
    for (const rel of await listSources(library)) origins.set(rel, join(library, rel));
    if (!sameAsLibrary) {
      for (const rel of await listSources(userDir)) {
        if (origins.has(rel)) {
          throw new McpgovError("policy_compile_error", `${join(userDir, rel)} has the same path as mcpgov's library file ${origins.get(rel)}; rename it`);
        }
        if (rel.startsWith(`${INPUT_TYPES_DIR}/`)) {
          throw new McpgovError("policy_compile_error", `${join(userDir, INPUT_TYPES_DIR)} is reserved for the input types mcpgov stages; rename it`);
        }
        origins.set(rel, join(userDir, rel));
      }
    }
    for (const [rel, origin] of origins) {
      const target = join(dir, rel);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(origin, target);
    }
    for (const [rel, origin] of await stageYamlRules(userDir, dir)) origins.set(rel, origin);
    await stageInputTypes(dir, schemaDir);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    schemaDir,
    regoSources: [...origins.keys()].filter(isShippedRego).sort(),
    originOf: (stagedPath) => origins.get(stagedPath.replace(/^(\.\/|\/)+/, "")) ?? stagedPath,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
