/**
 * @module The input paths a policy reads, found at build time in the AST
 * of every shipped module (OPA's own parser, `rego.parse_module`, so the
 * syntax is exactly OPA's). The engine passes WASM only these parts of the
 * envelope (see src/core/input-projection.ts).
 *
 * The analysis over-approximates, never under: anything it does not
 * recognise keeps more of the input, up to all of it.
 * - `input.a.b` keeps the whole value at a.b; a variable or a number in a
 *   reference (`input.labels[k]`, `input.tags[0]`) keeps the value at the
 *   constant part before it (labels, tags).
 * - `object.get(P, "k", d)` and `object.get(P, ["k", "j"], d)`, where P
 *   is itself such a path, keep P.k (P.k.j): the reference envelope
 *   helpers read optional fields this way.
 * - `input` on its own (passed to a function, walked, marshalled, bound to
 *   a variable), `input` as the target of `with`, or `import input` keeps
 *   everything. An import of `input.a` keeps a whole, so reads through the
 *   alias are covered.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addInputPath, type InputPaths } from "../core/input-projection.js";
import { McpgovError } from "../core/errors.js";
import { runOpa } from "./opa.js";

type Node = { type?: unknown; value?: unknown } & Record<string, unknown>;

const isNode = (x: unknown): x is Node => typeof x === "object" && x !== null && !Array.isArray(x);
const isVar = (x: unknown, name: string): boolean => isNode(x) && x.type === "var" && x.value === name;
const isString = (x: unknown): x is Node & { value: string } => isNode(x) && x.type === "string" && typeof x.value === "string";

/** The operator of a call `[op, args…]` as a dotted name, e.g. "object.get". */
function operatorName(op: unknown): string | undefined {
  if (!isNode(op) || op.type !== "ref" || !Array.isArray(op.value)) return undefined;
  const [head, ...rest] = op.value as unknown[];
  if (!isNode(head) || head.type !== "var" || typeof head.value !== "string") return undefined;
  if (!rest.every(isString)) return undefined;
  return [head.value, ...rest.map((t) => (t as { value: string }).value)].join(".");
}

/** The constant path a term denotes inside input, or undefined when it is not one. */
function inputPath(term: unknown): string[] | undefined {
  if (!isNode(term)) return undefined;
  if (term.type === "var" && term.value === "input") return [];
  if (term.type === "ref" && Array.isArray(term.value)) {
    const [head, ...rest] = term.value as unknown[];
    const base = inputPath(head);
    if (base === undefined || !rest.every(isString)) return undefined;
    return [...base, ...rest.map((t) => (t as { value: string }).value)];
  }
  if (term.type === "call" && Array.isArray(term.value)) return objectGetPath(term.value as unknown[]);
  return undefined;
}

/** `object.get(P, key, default)` with a constant key, as the path P.key. */
function objectGetPath(call: readonly unknown[]): string[] | undefined {
  if (operatorName(call[0]) !== "object.get" || call.length < 4) return undefined;
  const base = inputPath(call[1]);
  if (base === undefined) return undefined;
  const key = call[2];
  if (isString(key)) return [...base, key.value];
  if (isNode(key) && key.type === "array" && Array.isArray(key.value) && key.value.every(isString)) {
    return [...base, ...(key.value as Array<{ value: string }>).map((t) => t.value)];
  }
  return undefined;
}

class Collector {
  paths: InputPaths = {};

  /** The constant prefix of every data reference (an empty one for `data` alone). */
  readonly dataRefs: string[][] = [];

  keep(path: readonly string[]): void {
    this.paths = addInputPath(this.paths, path);
  }

  visit(x: unknown): void {
    if (this.paths === true) return;
    if (Array.isArray(x)) {
      // An expression's terms may be a call written as [op, args…].
      const asCall = objectGetPath(x);
      if (asCall !== undefined) {
        this.keep(asCall);
        for (const rest of x.slice(2)) this.visit(rest);
        return;
      }
      for (const item of x) this.visit(item);
      return;
    }
    if (!isNode(x)) return;
    if (x.type === "var" && x.value === "input") {
      this.keep([]);
      return;
    }
    if (x.type === "var" && x.value === "data") {
      this.dataRefs.push([]);
      return;
    }
    if (x.type === "ref" && Array.isArray(x.value)) {
      this.visitRef(x.value as unknown[]);
      return;
    }
    if (x.type === "call" && Array.isArray(x.value)) {
      const asCall = objectGetPath(x.value as unknown[]);
      if (asCall !== undefined) {
        this.keep(asCall);
        for (const rest of (x.value as unknown[]).slice(2)) this.visit(rest);
        return;
      }
    }
    if (Array.isArray(x["with"])) {
      for (const w of x["with"] as unknown[]) {
        const target = isNode(w) ? w["target"] : undefined;
        if (isNode(target) && target.type === "ref" && Array.isArray(target.value) && isVar(target.value[0], "input")) this.keep([]);
      }
    }
    for (const [key, value] of Object.entries(x)) {
      if (key !== "location" && key !== "annotations") this.visit(value);
    }
  }

  /** A reference rooted at input keeps its constant prefix; the other terms in it are visited as terms. */
  private visitRef(parts: unknown[]): void {
    const [head, ...rest] = parts;
    if (isVar(head, "data")) {
      const prefix: string[] = [];
      let i = 0;
      for (; i < rest.length && isString(rest[i]); i++) prefix.push((rest[i] as { value: string }).value);
      this.dataRefs.push(prefix);
      for (const part of rest.slice(i)) this.visit(part);
      return;
    }
    const base = inputPath(head);
    if (base === undefined) {
      for (const part of parts) this.visit(part);
      return;
    }
    const prefix = [...base];
    let i = 0;
    for (; i < rest.length && isString(rest[i]); i++) prefix.push((rest[i] as { value: string }).value);
    this.keep(prefix);
    for (const part of rest.slice(i)) this.visit(part);
  }
}

interface ModuleUse {
  pkg: string[];
  collector: Collector;
}

function useOf(module: unknown): ModuleUse {
  const collector = new Collector();
  const path = isNode(module) && isNode(module["package"]) ? module["package"]["path"] : undefined;
  const parts = Array.isArray(path) ? path.slice(1) : undefined;
  if (!isNode(module) || !parts || !parts.every(isString)) {
    // Not a module as expected: read as everything, reachable from anywhere.
    collector.keep([]);
    return { pkg: [], collector };
  }
  collector.visit(module["imports"]);
  collector.visit(module["rules"]);
  return { pkg: parts.map((t) => (t as { value: string }).value), collector };
}

const related = (a: readonly string[], b: readonly string[]): boolean => a.every((x, i) => i >= b.length || b[i] === x);

/**
 * The input paths read by the parsed modules (`rego.parse_module` output)
 * that evaluating `entrypoint` (e.g. "mcpgov/decision/result") can reach:
 * its package, then every package a reached module refers to through
 * `data` (a reference with a variable, `data.mcpgov.rules[_]`, reaches all
 * packages under its constant part). Modules of other entrypoints (the
 * output and catalog policies, which read other inputs) are left out.
 * Annotations do not read input.
 */
export function inputPathsOfModules(modules: readonly unknown[], entrypoint: string): InputPaths {
  const uses = modules.map(useOf);
  const refs: string[][] = [entrypoint.split("/")];
  const reached = new Set<ModuleUse>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const use of uses) {
      if (reached.has(use) || !refs.some((ref) => related(ref, use.pkg))) continue;
      reached.add(use);
      refs.push(...use.collector.dataRefs);
      grew = true;
    }
  }
  let paths: InputPaths = {};
  for (const use of reached) paths = mergePaths(paths, use.collector.paths);
  return paths;
}

function mergePaths(a: InputPaths, b: InputPaths): InputPaths {
  if (a === true || b === true) return true;
  const merged: { [key: string]: InputPaths } = { ...a };
  for (const [key, value] of Object.entries(b)) merged[key] = Object.prototype.hasOwnProperty.call(merged, key) ? mergePaths(merged[key]!, value) : value;
  return merged;
}

/** Parses every module with OPA's parser in one `opa eval` and returns the input paths they read. */
export async function inputPathsOfPolicy(dir: string, regoSources: readonly string[], entrypoint: string): Promise<InputPaths> {
  const work = await mkdtemp(join(tmpdir(), "mcpgov-input-paths-"));
  try {
    const files: Record<string, string> = {};
    for (const rel of regoSources) files[rel] = await readFile(join(dir, rel), "utf8");
    const inputFile = join(work, "input.json");
    await writeFile(inputFile, JSON.stringify({ files }));
    const run = await runOpa(["eval", "--strict-builtin-errors", "--format", "json", "--input", inputFile, "[rego.parse_module(name, text) | some name, text in input.files]"], { cwd: work });
    const parsed = run.status === 0 ? (JSON.parse(run.stdout) as { result?: Array<{ expressions?: Array<{ value?: unknown }> }> }) : undefined;
    const modules = parsed?.result?.[0]?.expressions?.[0]?.value;
    if (!Array.isArray(modules) || modules.length !== regoSources.length) {
      throw new McpgovError("policy_compile_error", `internal error: opa could not parse the staged policy to find the input it reads: ${(run.stderr || run.stdout).slice(0, 500)}`);
    }
    return inputPathsOfModules(modules, entrypoint);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
