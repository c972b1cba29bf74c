/**
 * @module The definition scanner: walks every string of a raw tool, prompt
 * or resource definition (object keys too) and reports what could steer a
 * model that reads it: instruction tags and phrases, sensitive paths,
 * hidden Unicode, long whitespace runs, references to other servers, and
 * names that pass for another server's tool. Pure: no I/O, no policy.
 *
 * Findings say where (a JSON path) and what (a type and a short label),
 * never the text, so they can go to policy, metrics and audit as they are.
 */
import { hasNonAscii, INVISIBLE, nameCollision } from "./confusables.js";
import type { DefinitionFinding, DefinitionFindingType, DefinitionKind, FindingSeverity } from "./catalog-decision.js";

/** What the scanner knows about the rest of the registry. */
export interface RegistryView {
  serverId: string;
  otherServers: ReadonlyArray<{ id: string; toolNames: readonly string[] }>;
}

export interface ScanLimits {
  /** Characters scanned per string; the rest is reported as scan_truncated. */
  maxStringChars: number;
  /** Characters scanned per definition, keys included. */
  maxTotalChars: number;
  maxDepth: number;
  maxFindings: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxStringChars: 65_536, maxTotalChars: 1_048_576, maxDepth: 32, maxFindings: 64 };

const SEVERITY: Record<DefinitionFindingType, FindingSeverity> = {
  instruction_tag: "high",
  override_phrase: "high",
  concealment_phrase: "high",
  precondition_phrase: "medium",
  sensitive_path: "medium",
  unicode_tag_chars: "high",
  bidi_control: "high",
  zero_width: "medium",
  whitespace_run: "medium",
  server_reference: "low",
  cross_server_tool_reference: "medium",
  name_collision_case: "medium",
  name_collision_confusable: "high",
  scan_truncated: "high",
};

/** Tags that frame text as instructions to the model. */
const INSTRUCTION_TAGS: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/<\s*\/?\s*(important|system|instructions?|sys|inst|critical|override|system[-_ ]prompt)\b[^<>]{0,80}>/gi, (m) => `<${m[1]!.toUpperCase()}>`],
  [/\[\s*\/?\s*(inst|system|sys)\s*\]/gi, (m) => `[${m[1]!.toUpperCase()}]`],
  [/<<\s*\/?\s*sys\s*>>/gi, () => "<<SYS>>"],
  [/<\|\s*(im_start|im_end|system|user|assistant|endoftext|begin_of_text|start_header_id)\s*\|>/gi, (m) => `<|${m[1]!.toLowerCase()}|>`],
];

/** Phrases matched on normalised, lower-cased text (NFKC, invisibles dropped, whitespace collapsed, ’ → '). */
const PHRASES: Array<[DefinitionFindingType, RegExp, string]> = [
  ["override_phrase", /\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?(?:previous|prior|above|earlier|preceding|former|system|other)\s+(?:instructions?|prompts?|rules|directions|guidelines|messages)\b/, "ignore previous instructions"],
  ["override_phrase", /\bnew\s+(?:system\s+)?instructions?\s*:/, "new instructions:"],
  // The user as the one not to be told ("do not tell the user", "never mention this to the user"), not as an owner ("never show the user's key").
  ["concealment_phrase", /\b(?:do\s+not|don't|dont|never|must\s+not|mustn't|should\s+not|shouldn't)\s+(?:\w+\s+){0,2}?(?:tell|inform|notify|alert|warn|ask)\s+(?:the\s+)?user\b(?!'s)/, "do not tell the user"],
  ["concealment_phrase", /\b(?:do\s+not|don't|dont|never|must\s+not|mustn't|should\s+not|shouldn't)\s+(?:\w+\s+){0,2}?(?:mention|reveal|show|disclose|explain|say)\b[^.!?]{0,40}?\bto\s+the\s+user\b(?!'s)/, "do not mention this to the user"],
  ["concealment_phrase", /\bwithout\s+(?:telling|informing|notifying|alerting|asking|showing)\s+(?:the\s+)?user\b/, "without telling the user"],
  ["concealment_phrase", /\buser\s+(?:must|should|will|need)\s*(?:not|never|n't)\s+(?:know|see|notice|be\s+told|find\s+out)\b/, "the user must not know"],
  ["concealment_phrase", /\b(?:hide|conceal|keep)\s+(?:this|it|that)\s+(?:secret\s+)?from\s+the\s+user\b/, "hide this from the user"],
  ["precondition_phrase", /\bbefore\s+(?:using|calling|invoking|running|executing)\s+(?:this|the|any)\s+tool\b[^.!?]{0,160}?\b(?:read|open|cat|load|fetch|send|pass|include|provide|call|upload|attach|copy)\b/, "before using this tool, read/send"],
  ["precondition_phrase", /\b(?:read|send|include|pass|upload|attach|copy)\b[^.!?]{0,80}?\b(?:contents?|file)\b[^.!?]{0,60}?\bas\s+(?:the\s+)?(?:['"`]?[\w-]+['"`]?\s+)?(?:parameter|argument|param|field|input)\b/, "pass file contents as an argument"],
];

/** Credential and agent-config locations; the label is what the finding says, never the match. */
const SENSITIVE_PATHS: Array<[RegExp, string]> = [
  [/~\/\.ssh\b|(?:^|[\s'"`(=:/])\.ssh\//i, "~/.ssh"],
  [/\bid_(?:rsa|dsa|ecdsa|ed25519)\b/i, "id_rsa"],
  [/\bmcp\.json\b/i, "mcp.json"],
  [/(?:^|[\s'"`(=:/~])\.env(?:\.[a-z]+)?(?![\w-])/i, ".env"],
  [/\/etc\/(?:passwd|shadow|sudoers)\b/i, "/etc/passwd"],
  [/\.aws\/credentials\b/i, "~/.aws/credentials"],
  [/(?:^|[\s'"`(=:/~])\.(?:netrc|git-credentials|npmrc|pypirc)\b/i, "~/.netrc"],
  [/\.(?:docker\/config\.json|kube\/config)\b/i, "~/.docker/~/.kube config"],
  [/(?:^|[\s'"`(=:/~])\.cursor\/|\bcursor\/mcp\b/i, "~/.cursor/"],
  [/\bclaude_desktop_config\.json\b|(?:^|[\s'"`(=:/~])\.claude(?:\.json\b|\/)/i, "claude config"],
  [/(?:^|[\s'"`(=:/~])\.gnupg\b/i, "~/.gnupg"],
];

const ZERO_WIDTH = /\u034f|[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2060-\u2064\u3164\ufeff\uffa0]/g;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;
const TAG_CHARS = /\udb40[\udc00-\udc7f]/g;
const SPACE_RUN = /[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]{20,}/g;
// Starts at a line break, so a long run of spaces is not rescanned from every position.
const NEWLINE_RUN = /(?:(?:\r\n|\n|\r|\u2028|\u2029)[ \t]*){6,}/g;

const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

/** A tool name worth looking for in free text: long or identifier-shaped, so "echo" or "add" in prose do not count. */
const distinctive = (name: string): boolean => name.length >= 4 && (/[_\-.\d]/.test(name) || /[a-z][A-Z]/.test(name) || name.length >= 10);

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

interface References {
  /** Any of the tool names, so most strings cost one search instead of one per name. */
  anyTool: RegExp | undefined;
  tools: Array<{ name: string; server: string; pattern: RegExp }>;
  servers: Array<{ id: string; pattern: RegExp }>;
}

const referenceCache = new WeakMap<RegistryView, References>();

function referencesOf(registry: RegistryView): References {
  const cached = referenceCache.get(registry);
  if (cached) return cached;
  const tools: References["tools"] = [];
  const servers: References["servers"] = [];
  for (const other of registry.otherServers) {
    if (other.id === registry.serverId) continue;
    if (other.id.length >= 3) {
      const id = escapeRegExp(other.id);
      // Only the id used as a server's name ("the mail server", "mcp mail"), not the word in prose.
      servers.push({ id: other.id, pattern: new RegExp(`(?:\\b(?:server|mcp)\\s+['"\`]?${id}['"\`]?(?![\\w-])|(?<![\\w-])['"\`]?${id}['"\`]?\\s+(?:mcp\\s+)?server\\b)`, "i") });
    }
    for (const name of new Set(other.toolNames)) {
      if (distinctive(name)) tools.push({ name, server: other.id, pattern: new RegExp(`(?<![\\w-])${escapeRegExp(name)}(?![\\w-])`, "i") });
    }
  }
  const names = [...new Set(tools.map((t) => escapeRegExp(t.name)))];
  const anyTool = names.length > 0 ? new RegExp(`(?<![\\w-])(?:${names.join("|")})(?![\\w-])`, "i") : undefined;
  const refs = { anyTool, tools, servers };
  referenceCache.set(registry, refs);
  return refs;
}

/** Renders a path segment: identifier-shaped keys as `.key`, others by position, so a path never carries hostile text. */
function segment(key: string | number, index: number): string {
  if (typeof key === "number") return `[${key}]`;
  return /^[A-Za-z_$][\w$-]{0,63}$/.test(key) ? `.${key}` : `[key#${index}]`;
}

class Collector {
  readonly findings: DefinitionFinding[] = [];
  private readonly seen = new Set<string>();
  private truncated = false;

  constructor(private readonly max: number) {}

  add(type: DefinitionFindingType, field: string, detail: string): void {
    const key = `${type}\u0000${field}\u0000${detail}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.findings.length >= this.max) {
      this.truncate("$", `more than ${this.max} findings`);
      return;
    }
    this.findings.push({ type, field, severity: SEVERITY[type], detail });
  }

  truncate(field: string, detail: string): void {
    if (this.truncated) return;
    this.truncated = true;
    this.findings.push({ type: "scan_truncated", field, severity: "high", detail });
  }
}

/** Lower-cased text as a reader sees it: compatibility forms folded, invisibles gone, whitespace single. */
function normalise(text: string): string {
  return text.normalize("NFKC").replace(INVISIBLE, "").replace(/[\u2018\u2019\u02bc]/g, "'").replace(/\s+/g, " ").toLowerCase();
}

function scanString(text: string, field: string, out: Collector, registry: RegistryView): void {
  const tags = count(text, TAG_CHARS);
  if (tags > 0) out.add("unicode_tag_chars", field, `${tags} Unicode tag character(s) (U+E0000–E007F)`);
  const bidi = count(text, BIDI);
  if (bidi > 0) out.add("bidi_control", field, `${bidi} bidi control character(s)`);
  const zeroWidth = count(text, ZERO_WIDTH);
  if (zeroWidth > 0) out.add("zero_width", field, `${zeroWidth} zero-width or invisible character(s)`);
  const spaces = text.match(SPACE_RUN);
  if (spaces) out.add("whitespace_run", field, `run of ${Math.max(...spaces.map((s) => s.length))} spaces`);
  const newlines = text.match(NEWLINE_RUN);
  if (newlines) out.add("whitespace_run", field, `run of ${Math.max(...newlines.map((s) => s.split(/\r\n|\n|\r|\u2028|\u2029/).length - 1))} line breaks`);

  const plain = normalise(text);
  for (const [pattern, label] of INSTRUCTION_TAGS) {
    pattern.lastIndex = 0;
    const m = pattern.exec(plain);
    if (m) out.add("instruction_tag", field, `instruction tag ${label(m)}`);
  }
  for (const [type, pattern, label] of PHRASES) if (pattern.test(plain)) out.add(type, field, `phrase like "${label}"`);
  for (const [pattern, label] of SENSITIVE_PATHS) if (pattern.test(plain)) out.add("sensitive_path", field, `sensitive path ${label}`);
  // The name itself is compared by scanName; the same plain name on two servers is no reference.
  if (field === "$.name") return;
  const refs = referencesOf(registry);
  if (refs.anyTool?.test(plain)) for (const tool of refs.tools) if (tool.pattern.test(plain)) out.add("cross_server_tool_reference", field, `mentions tool ${tool.name} of server ${tool.server}`);
  for (const server of refs.servers) if (server.pattern.test(plain)) out.add("server_reference", field, `mentions server ${server.id}`);
}

function scanName(name: string, out: Collector, registry: RegistryView): void {
  for (const other of registry.otherServers) {
    if (other.id === registry.serverId) continue;
    for (const otherName of new Set(other.toolNames)) {
      const collision = nameCollision(name, otherName);
      if (collision === "case") out.add("name_collision_case", "$.name", `differs only in case from tool ${otherName} of server ${other.id}`);
      // The imitation is the side with non-ASCII lookalikes; the plain ASCII original is not blamed for it.
      if (collision === "confusable" && hasNonAscii(name)) out.add("name_collision_confusable", "$.name", `looks like tool ${otherName} of server ${other.id}`);
    }
  }
}

/**
 * Scans one raw definition as a server listed it. `kind` says what it is;
 * only tools are compared by name with other servers' tools.
 */
export function scanDefinition(kind: DefinitionKind, raw: unknown, registry: RegistryView, limits: ScanLimits = DEFAULT_SCAN_LIMITS): DefinitionFinding[] {
  const out = new Collector(limits.maxFindings);
  let budget = limits.maxTotalChars;

  const text = (value: string, field: string): void => {
    if (budget <= 0) {
      out.truncate(field, `definition longer than ${limits.maxTotalChars} characters`);
      return;
    }
    const allowed = Math.min(limits.maxStringChars, budget);
    if (value.length > allowed) out.truncate(field, `string longer than ${allowed} characters`);
    const scanned = value.length > allowed ? value.slice(0, allowed) : value;
    budget -= scanned.length;
    scanString(scanned, field, out, registry);
  };

  const walk = (value: unknown, path: string, depth: number): void => {
    if (typeof value === "string") return text(value, path);
    if (value === null || typeof value !== "object") return;
    if (depth >= limits.maxDepth) {
      out.truncate(path, `nested deeper than ${limits.maxDepth} levels`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}${segment(i, i)}`, depth + 1));
      return;
    }
    Object.entries(value as Record<string, unknown>).forEach(([key, item], i) => {
      const child = `${path}${segment(key, i)}`;
      text(key, `${child}@key`);
      walk(item, child, depth + 1);
    });
  };

  walk(raw, "$", 0);
  const name = raw !== null && typeof raw === "object" ? (raw as { name?: unknown }).name : undefined;
  if (kind === "tool" && typeof name === "string") scanName(name, out, registry);
  return out.findings;
}

/** The name a definition is listed under: `name` for tools, prompts and resources, else its uri or uriTemplate. */
export function definitionName(raw: unknown): string {
  if (raw === null || typeof raw !== "object") return "";
  const record = raw as Record<string, unknown>;
  for (const key of ["name", "uri", "uriTemplate"]) if (typeof record[key] === "string") return record[key];
  return "";
}
