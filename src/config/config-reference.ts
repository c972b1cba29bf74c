/**
 * @module The configuration reference (docs/configuration.md), generated from
 * the gateway config's zod schema through its JSON Schema, so the document
 * cannot drift from what `loadGatewayConfig` accepts. Pure: schema in,
 * Markdown out; `scripts/config-reference.ts` writes or checks the file.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Node = { [key: string]: Json };

export interface ConfigKey {
  /** Dotted path; `[]` marks an array's items, `*` a map's values. */
  path: string;
  type: string;
  required: boolean;
  default?: Json;
  description?: string;
}

const isNode = (value: Json | undefined): value is Node => typeof value === "object" && value !== null && !Array.isArray(value);

function typeOf(node: Node): string {
  if (Array.isArray(node.enum)) return node.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (node.const !== undefined) return JSON.stringify(node.const);
  const variants = (node.anyOf ?? node.oneOf) as Json[] | undefined;
  if (Array.isArray(variants)) return [...new Set(variants.filter(isNode).map(typeOf))].join(" | ");
  if (node.type === "array" && isNode(node.items)) return `${typeOf(node.items)}[]`;
  if (node.type === "object" && isNode(node.additionalProperties) && !isNode(node.properties)) return `map of ${typeOf(node.additionalProperties)}`;
  if (typeof node.type === "string") return node.type;
  if (Array.isArray(node.type)) return node.type.join(" | ");
  return "any";
}

/** Every key of the schema, depth first in declaration order. */
export function configKeys(schema: Node): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const visit = (node: Node, prefix: string) => {
    const required = new Set(Array.isArray(node.required) ? node.required.filter((r): r is string => typeof r === "string") : []);
    if (isNode(node.properties)) {
      for (const [name, child] of Object.entries(node.properties)) {
        if (!isNode(child)) continue;
        const path = prefix ? `${prefix}.${name}` : name;
        keys.push({
          path,
          type: typeOf(child),
          required: required.has(name),
          ...(child.default !== undefined ? { default: child.default } : {}),
          ...(typeof child.description === "string" ? { description: child.description } : {}),
        });
        descend(child, path);
      }
    }
  };
  const descend = (node: Node, path: string) => {
    visit(node, path);
    if (isNode(node.items)) descend(node.items, `${path}[]`);
    if (isNode(node.additionalProperties)) descend(node.additionalProperties, `${path}.*`);
    // A union of objects (auth modes, for example) lists each variant's keys once.
    const seen = new Set<string>();
    for (const variant of [...((node.anyOf ?? node.oneOf ?? []) as Json[]), ...((node.allOf ?? []) as Json[])]) {
      if (!isNode(variant)) continue;
      const before = keys.length;
      descend(variant, path);
      const added = keys.splice(before).filter((k) => !seen.has(k.path));
      for (const k of added) seen.add(k.path);
      keys.push(...added);
    }
  };
  visit(schema, "");
  return keys;
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

/** The Markdown document: one table per top-level section, top-level scalars first. */
export function configReferenceMarkdown(schema: Node): string {
  const keys = configKeys(schema);
  const sections = new Map<string, ConfigKey[]>();
  for (const key of keys) {
    const top = key.path.split(/[.[]/)[0]!;
    const group = keys.some((k) => k.path.startsWith(`${top}.`) || k.path.startsWith(`${top}[]`)) ? top : "";
    sections.set(group, [...(sections.get(group) ?? []), key]);
  }
  const table = (rows: ConfigKey[]) =>
    [
      "| Key | Type | Default | Description |",
      "|---|---|---|---|",
      ...rows.map(
        (k) =>
          `| \`${k.path}\`${k.required ? " (required)" : ""} | ${cell(k.type)} | ${k.default === undefined ? "" : `\`${cell(JSON.stringify(k.default))}\``} | ${cell(k.description ?? "")} |`,
      ),
    ].join("\n");
  const parts = [
    "# Configuration reference",
    "",
    "<!-- Generated from the gateway config's zod schema by `npm run docs:config`; test/config-reference.test.ts fails when it is stale. Do not edit by hand. -->",
    "",
    "The gateway reads one YAML file (`mcpgov serve --config FILE`). Unknown keys are refused with the file, line and key named. Relative paths resolve against the config file's folder. `mcpgov schema config` prints the same schema as JSON Schema, for editors.",
    "",
  ];
  const top = sections.get("");
  if (top) parts.push("## Top level", "", table(top), "");
  for (const [name, rows] of sections) if (name) parts.push(`## \`${name}\``, "", table(rows), "");
  return parts.join("\n");
}
