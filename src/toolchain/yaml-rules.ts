/**
 * @module YAML rule files (the seed's mcp-governance-policy.yaml format) as
 * bundle data: found in the policy folder, validated, and staged as
 * data.mcpgov.yaml_rules for the library's YAML evaluator
 * (policy/lib/mcpgov/rules/yaml).
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type Diagnostic, McpgovError } from "../core/errors.js";
import { normaliseYamlRules, type YamlRuleSourceData } from "../core/yaml-rules-schema.js";
import { displayPath } from "./diagnostics.js";
import { listPolicyFiles } from "./policy-files.js";
import { duplicateRuleIds } from "./rule-ids.js";
import { parseYamlRuleFile, type RuleIdSite } from "./yaml-rule-file.js";

/** Staged path of the generated data; its folder is reserved in a folder with YAML rule files. */
export const YAML_RULES_DATA = "mcpgov/yaml_rules/data.json";

/** mcp-governance-policy.yaml as the seed names it, or any <name>.policy.yaml. */
export function isYamlRuleFile(name: string): boolean {
  return /^mcp-governance-policy\.ya?ml$/.test(name) || /.\.policy\.ya?ml$/.test(name);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Turns YAML rule files found in `policyDir` into bundle data inside
 * `stageDir`. Returns staged path → original file, for diagnostics. Writes
 * nothing when the folder has no YAML rule file, so a Rego-only bundle is
 * unchanged by this step.
 */
export async function stageYamlRules(policyDir: string, stageDir: string): Promise<Map<string, string>> {
  const yamlFiles = await listPolicyFiles(policyDir, isYamlRuleFile);
  if (yamlFiles.length === 0) return new Map();

  const diagnostics: Diagnostic[] = [];
  const sources: YamlRuleSourceData[] = [];
  const ids: RuleIdSite[] = [];
  for (const rel of yamlFiles) {
    const path = join(policyDir, rel);
    const result = parseYamlRuleFile(await readFile(path, "utf8"), displayPath(path));
    if (!result.ok) {
      diagnostics.push(...result.diagnostics);
      continue;
    }
    sources.push(normaliseYamlRules(rel, result.rules));
    ids.push(...result.ids);
  }
  const regoFiles = await listPolicyFiles(policyDir, (name) => name.endsWith(".rego") && !name.endsWith("_test.rego"));
  const rego = await Promise.all(
    regoFiles.map(async (rel) => ({ file: displayPath(join(policyDir, rel)), text: await readFile(join(policyDir, rel), "utf8") })),
  );
  diagnostics.push(...duplicateRuleIds(ids, rego));
  if (diagnostics.length > 0) {
    throw new McpgovError("policy_compile_error", `YAML rules in ${displayPath(policyDir)} are not valid`, { data: { diagnostics } });
  }

  const target = join(stageDir, YAML_RULES_DATA);
  if (await exists(dirname(target))) {
    throw new McpgovError("policy_compile_error", `${join(policyDir, dirname(YAML_RULES_DATA))} is reserved for the data mcpgov stages from YAML rule files; move that data elsewhere`);
  }
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, JSON.stringify(sources));
  return new Map([[YAML_RULES_DATA, join(policyDir, yamlFiles[0]!)]]);
}
