/**
 * @module The rules a policy declares: every package directly under
 * data.mcpgov.rules that the user wrote (mcpgov's own library packages are
 * not the user's rules), with its id and where its `hits` rules start.
 *
 * `opa inspect -a` gives the packages, their files and METADATA titles (a
 * rule's id is its package title); `opa parse` gives the `hits` rule heads,
 * which `opa test --coverage` marks covered only when the rule produced a hit.
 *
 * Rules from YAML rule files are rules too, listed from the data mcpgov
 * stages for them. They all hit through one library package, so coverage
 * cannot tell them apart: only cases exercise them.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { McpgovError } from "../core/errors.js";
import { runOpa } from "./opa.js";
import type { StagedPolicy } from "./stage.js";
import { YAML_RULES_DATA } from "./yaml-rules.js";

const RULES_PREFIX = "data.mcpgov.rules.";

export interface DeclaredRule {
  id: string;
  /** Whether the id is the package's METADATA title (otherwise it is the package path). */
  titled: boolean;
  package: string;
  /** The first file of the package, as the user wrote it, and the line of its `package`. */
  file: string;
  line: number;
  /** Start of each `hits` rule head, by path inside the staged folder. */
  hitsHeads: { stagedFile: string; row: number; col: number }[];
}

interface InspectTerm {
  type?: string;
  value?: unknown;
}

interface InspectJson {
  namespaces?: Record<string, string[]>;
  annotations?: {
    annotations?: { scope?: string; title?: string };
    location?: { file?: string; row?: number };
    path?: InspectTerm[];
  }[];
}

interface ParseJson {
  package?: { location?: { row?: number } };
  rules?: { head?: { name?: string; ref?: InspectTerm[] }; location?: { row?: number; col?: number } }[];
}

function pathString(path: InspectTerm[] | undefined): string {
  return (path ?? []).map((term) => String(term.value)).join(".");
}

function headName(rule: NonNullable<ParseJson["rules"]>[number]): string | undefined {
  return rule.head?.name ?? (rule.head?.ref?.[0]?.value as string | undefined);
}

async function opaJson<T>(args: string[], cwd: string): Promise<T> {
  const run = await runOpa(args, { cwd });
  try {
    if (run.status === 0) return JSON.parse(run.stdout) as T;
  } catch {
    // reported below
  }
  throw new McpgovError("opa_failed", `opa ${args[0]} failed: ${(run.stderr || run.stdout).trim().split("\n")[0] ?? ""}`);
}

/** Runs `task` over `items` with at most `limit` at a time (each spawns opa). */
async function mapLimited<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

export interface InventoryOptions {
  /** The user's policy folder (YAML rule data names files relative to it). */
  policyDir: string;
  /** Tells mcpgov's own library files by their origin. */
  isLibrary: (originFile: string) => boolean;
}

/** Lists the user's rules in the staged policy: Rego rule packages, then YAML rules. */
export async function declaredRules(staged: StagedPolicy, options: InventoryOptions): Promise<DeclaredRule[]> {
  const { isLibrary } = options;
  const inspect = await opaJson<InspectJson>(["inspect", "-a", "--format", "json", "."], staged.dir);
  const titles = new Map<string, string>();
  for (const entry of inspect.annotations ?? []) {
    const title = entry.annotations?.title;
    if (entry.annotations?.scope === "package" && title) titles.set(pathString(entry.path), title);
  }

  const packages = Object.entries(inspect.namespaces ?? {})
    .filter(([name]) => name.startsWith(RULES_PREFIX) && !name.slice(RULES_PREFIX.length).includes("."))
    .map(([name, files]) => ({
      name,
      // The decision walks data.mcpgov.rules[_].hits; tests and data files declare no rule.
      files: files.filter((f) => f.endsWith(".rego") && !f.endsWith("_test.rego")).sort(),
    }))
    .filter((p) => p.files.length > 0 && !p.files.every((f) => isLibrary(staged.originOf(f))))
    .sort((a, b) => a.name.localeCompare(b.name));

  const fileInfo = new Map<string, ParseJson>();
  const allFiles = [...new Set(packages.flatMap((p) => p.files))];
  const parsed = await mapLimited(allFiles, 8, (file) => opaJson<ParseJson>(["parse", "--format", "json", "--json-include", "locations,-comments", file], staged.dir));
  allFiles.forEach((file, i) => fileInfo.set(file, parsed[i]!));

  const regoRules = packages.map((pkg): DeclaredRule => {
    const title = titles.get(pkg.name);
    const first = pkg.files[0]!;
    const hitsHeads = pkg.files.flatMap((stagedFile) =>
      (fileInfo.get(stagedFile)?.rules ?? [])
        .filter((rule) => headName(rule) === "hits" && rule.location?.row)
        .map((rule) => ({ stagedFile, row: rule.location!.row!, col: rule.location!.col ?? 1 })),
    );
    return {
      id: title ?? pkg.name,
      titled: title !== undefined,
      package: pkg.name,
      file: staged.originOf(first),
      line: fileInfo.get(first)?.package?.location?.row ?? 1,
      hitsHeads,
    };
  });
  return [...regoRules, ...(await yamlRules(staged, options.policyDir))];
}

/** The staged YAML rule data, [{file, rules: [{id}]}], read defensively: its shape belongs to yaml-rules. */
async function yamlRules(staged: StagedPolicy, policyDir: string): Promise<DeclaredRule[]> {
  let sources: unknown;
  try {
    sources = JSON.parse(await readFile(join(staged.dir, YAML_RULES_DATA), "utf8"));
  } catch {
    return [];
  }
  if (!Array.isArray(sources)) return [];
  const out: DeclaredRule[] = [];
  const texts = new Map<string, Promise<string>>();
  for (const source of sources as { file?: unknown; rules?: unknown }[]) {
    if (typeof source?.file !== "string" || !Array.isArray(source.rules)) continue;
    const file = resolve(policyDir, source.file);
    let text = texts.get(file);
    if (!text) texts.set(file, (text = readFile(file, "utf8").catch(() => "")));
    const lines = (await text).split(/\r?\n/);
    for (const rule of source.rules as { id?: unknown }[]) {
      if (typeof rule?.id !== "string") continue;
      const id = rule.id;
      const index = lines.findIndex((l) => /\bid\s*:/.test(l) && l.includes(id));
      out.push({ id, titled: true, package: "data.mcpgov.yaml_rules", file, line: index + 1 || 1, hitsHeads: [] });
    }
  }
  return out;
}
