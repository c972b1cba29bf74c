/**
 * @module Input projection: the parts of the envelope a policy can read.
 *
 * `mcpgov build` finds every place the bundle's Rego reads `input` (see
 * src/toolchain/input-paths.ts) and records the paths as a tree; the
 * engine then hands WASM only those parts. A 7 KB tool argument that no
 * rule looks at is neither serialised nor parsed into WASM values, which
 * is most of the cost of a decision on a large envelope. The policy sees
 * the same values at every path it reads, so it decides the same.
 */
import { z } from "zod";

/** `true`: the whole value at this path; an object: only these keys, each with its own tree. */
export type InputPaths = true | { [key: string]: InputPaths };

export const InputPathsSchema: z.ZodType<InputPaths> = z.lazy(() => z.union([z.literal(true), z.record(z.string(), InputPathsSchema)]));

/**
 * Keeps the parts of `value` that `paths` names. Anything that is not a
 * plain object (an array, a string, null) is kept whole: a path into it
 * (an index, a key of a non-object) reads the value as it is.
 */
export function projectInput(value: unknown, paths: InputPaths): unknown {
  if (paths === true || value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const source = value as Record<string, unknown>;
  // No prototype: a key named __proto__ stays a key, as it is in JSON.
  const kept = Object.create(null) as Record<string, unknown>;
  for (const key in paths) {
    if (Object.prototype.hasOwnProperty.call(source, key)) kept[key] = projectInput(source[key], paths[key]!);
  }
  return kept;
}

/** Adds `path` to `tree` (a path's whole value absorbs any narrower path under it). */
export function addInputPath(tree: InputPaths, path: readonly string[]): InputPaths {
  if (tree === true) return true;
  if (path.length === 0) return true;
  const [head, ...rest] = path as [string, ...string[]];
  const below = Object.prototype.hasOwnProperty.call(tree, head) ? tree[head]! : {};
  return { ...tree, [head]: addInputPath(below, rest) };
}

/** The JSON text the decision policy is given for an envelope: only the paths it reads. */
export function decisionInputText(envelope: unknown, paths: InputPaths): string {
  return JSON.stringify(paths === true ? envelope : projectInput(envelope, paths));
}
