/**
 * @module Loads `mcpgov.yaml`: YAML with line numbers, then the one schema,
 * then precedence (flags > MCPGOV_* environment > file > defaults) and path
 * resolution. Any problem is an error; the gateway never starts half-configured.
 */
import { readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { type Document, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { type Diagnostic, McpgovError } from "../core/errors.js";
import { type GatewayConfig, GatewayConfigSchema, isLoopbackHost, type SecretSource } from "../core/gateway-config.js";
import { issuePath } from "../core/issues.js";
import { checkSecretReferences } from "../config/secrets.js";
import { locatePath } from "../yaml-locate.js";

/** Values given on the command line; they win over everything else. */
export interface GatewayConfigOverrides {
  listen?: { host?: string; port?: number };
  data_dir?: string;
  bundle?: string;
  limits?: { decision_timeout_ms?: number };
}

export interface LoadGatewayConfigOptions {
  /** The environment to read MCPGOV_* settings and secrets from (never process.env implicitly). */
  env?: Record<string, string | undefined>;
  overrides?: GatewayConfigOverrides;
  /** Base for relative paths given by flags or environment; defaults to process.cwd(). */
  cwd?: string;
  /** "check" (default) verifies every from_env / from_file secret exists without keeping its value. */
  secrets?: "check" | "skip";
  /**
   * false for a gateway without HTTP (`mcpgov stdio`): nobody authenticates
   * to it, so the secrets of `auth` and `admin_auth` (API key variables,
   * JWT keys) are neither needed nor checked.
   */
  httpAuth?: boolean;
}

/** The config with every path absolute, where it came from, and what deserves a warning. */
export type LoadedGatewayConfig = GatewayConfig & {
  source: { path: string; dir: string; lock_path: string };
  warnings: string[];
};

/** Environment variables that override file settings, with the config path each sets. */
export const ENV_SETTINGS: ReadonlyArray<{ name: string; path: readonly [string, ...string[]]; kind: "string" | "port" | "integer" }> = [
  { name: "MCPGOV_LISTEN_HOST", path: ["listen", "host"], kind: "string" },
  { name: "MCPGOV_LISTEN_PORT", path: ["listen", "port"], kind: "port" },
  { name: "MCPGOV_DATA_DIR", path: ["data_dir"], kind: "string" },
  { name: "MCPGOV_BUNDLE", path: ["bundle"], kind: "string" },
  { name: "MCPGOV_DECISION_TIMEOUT_MS", path: ["limits", "decision_timeout_ms"], kind: "integer" },
  { name: "MCPGOV_STATE", path: ["state"], kind: "string" },
];

/** The lock file beside a config: `mcpgov.yaml` → `mcpgov.lock.json`, `demo.mcpgov.yaml` → `demo.mcpgov.lock.json`. */
export function lockPathFor(configPath: string): string {
  const name = basename(configPath).replace(/\.ya?ml$/i, "");
  return join(dirname(resolve(configPath)), `${name}.lock.json`);
}

export async function loadGatewayConfig(path: string, options: LoadGatewayConfigOptions = {}): Promise<LoadedGatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new McpgovError("io_error", `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  const { config, lineOf } = parse(text, path, options);
  if ((options.secrets ?? "check") === "check") {
    const problems = await checkSecretReferences(config, options.env ?? {}, { httpAuth: options.httpAuth ?? true });
    if (problems.length > 0) {
      throw invalid(path, problems.map((p) => ({ file: path, line: lineOf(p.path), message: `${issuePath(p.path)}: ${p.message}` })));
    }
  }
  return config;
}

/** Parses config text; touches no file (paths are resolved as strings, secrets are not checked). */
export function parseGatewayConfig(text: string, path: string, options: LoadGatewayConfigOptions = {}): LoadedGatewayConfig {
  return parse(text, path, options).config;
}

function parse(text: string, path: string, options: LoadGatewayConfigOptions): { config: LoadedGatewayConfig; lineOf: (path: PropertyKey[]) => number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const syntax = doc.errors[0] ?? doc.warnings[0];
  if (syntax) throw invalid(path, [{ file: path, line: lineAt(syntax.pos[0]), message: `YAML: ${syntax.message}` }]);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (thrown) {
    throw invalid(path, [{ file: path, line: 1, message: `YAML: ${thrown instanceof Error ? thrown.message : String(thrown)}` }]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw invalid(path, [{ file: path, line: 1, message: "(root): expected a mapping of settings" }]);
  }

  const origins = applyPrecedence(raw as Record<string, unknown>, options);
  const parsed = GatewayConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const diagnostics = parsed.error.issues.map((issue) => issueDiagnostic(issue, doc, path, origins, lineAt));
    throw invalid(path, diagnostics.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  }

  const configPath = resolve(path);
  const dir = dirname(configPath);
  const config = resolvePaths(parsed.data, dir, options.cwd ?? process.cwd(), origins);
  return {
    config: { ...config, source: { path: configPath, dir, lock_path: lockPathFor(configPath) }, warnings: warningsFor(config) },
    lineOf: (fieldPath) => lineAt(locatePath(doc, fieldPath).offset),
  };
}

function invalid(path: string, diagnostics: Diagnostic[]): McpgovError {
  const count = diagnostics.length === 1 ? "1 problem" : `${diagnostics.length} problems`;
  return new McpgovError("config_invalid", `${path} is invalid (${count}); the gateway does not start with an invalid configuration`, {
    data: { diagnostics },
  });
}

/** Writes environment and flag values into the raw document; returns which fields they set and by what. */
function applyPrecedence(raw: Record<string, unknown>, options: LoadGatewayConfigOptions): Map<string, string> {
  const origins = new Map<string, string>();
  const set = (path: readonly string[], value: unknown, origin: string) => {
    let node = raw;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path.at(-1)!] = value;
    origins.set(path.join("."), origin);
  };
  for (const setting of ENV_SETTINGS) {
    const value = options.env?.[setting.name];
    if (value === undefined || value === "") continue;
    set(setting.path, setting.kind !== "string" && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value, setting.name);
  }
  const flags = options.overrides ?? {};
  if (flags.listen?.host !== undefined) set(["listen", "host"], flags.listen.host, "--host");
  if (flags.listen?.port !== undefined) set(["listen", "port"], flags.listen.port, "--port");
  if (flags.data_dir !== undefined) set(["data_dir"], flags.data_dir, "--data-dir");
  if (flags.bundle !== undefined) set(["bundle"], flags.bundle, "--bundle");
  if (flags.limits?.decision_timeout_ms !== undefined) set(["limits", "decision_timeout_ms"], flags.limits.decision_timeout_ms, "--decision-timeout-ms");
  return origins;
}

/** One line per issue: where (file line, or the variable or flag that set the value), the field, the problem. */
function issueDiagnostic(issue: z.core.$ZodIssue, doc: Document, path: string, origins: Map<string, string>, lineAt: (offset: number) => number): Diagnostic {
  const dotted = issue.path.map(String).join(".");
  const origin = [...origins].find(([field]) => dotted === field || dotted.startsWith(`${field}.`))?.[1];
  const unknownKey = issue.code === "unrecognized_keys" && issue.keys.length === 1 ? issue.keys[0] : undefined;
  const fieldPath = unknownKey === undefined ? issue.path : [...issue.path, unknownKey];
  const where = locatePath(doc, fieldPath);
  const message = `${issuePath(fieldPath)}: ${issueMessage(issue, where.found)}`;
  if (origin) return { file: origin, message };
  return { file: path, line: lineAt(where.offset), message };
}

/** A missing value says "Required" (plus any hint the schema gives); other messages are zod's, which never quote values. */
function issueMessage(issue: z.core.$ZodIssue, found: boolean): string {
  const absent = issue.code === "invalid_type" && /received (undefined|null)$/.test(issue.message);
  if (absent || (!found && issue.code === "invalid_type")) return issue.message.startsWith("Invalid input") ? "Required" : issue.message;
  if (!found && issue.code === "invalid_union") return "discriminator" in issue ? `Required (${issue.message})` : "Required";
  if (issue.code === "unrecognized_keys" && issue.keys.length === 1) return "unknown setting";
  if (issue.code === "invalid_key" && issue.issues[0]) return issue.issues[0].message;
  return issue.message;
}

/**
 * Makes every path absolute: values from the file against the file's
 * folder, values from flags or the environment against the working directory.
 */
function resolvePaths(config: GatewayConfig, dir: string, cwd: string, origins: Map<string, string>): GatewayConfig {
  const top = (field: string, value: string) => resolve(origins.has(field) ? cwd : dir, value);
  const file = (value: string) => resolve(dir, value);
  const source = (value: SecretSource): SecretSource => {
    if (typeof value === "object" && "from_file" in value) return { from_file: file(value.from_file) };
    if (typeof value === "object" && "path" in value) return { path: file(value.path) };
    return value;
  };
  const sources = (map: Record<string, SecretSource>) => Object.fromEntries(Object.entries(map).map(([k, v]) => [k, source(v)]));
  const auth =
    config.auth.mode === "jwt" && config.auth.public_key_file
      ? { ...config.auth, public_key_file: file(config.auth.public_key_file) }
      : config.auth.mode === "api_keys"
        ? { ...config.auth, keys: config.auth.keys.map((key) => (key.key_file ? { ...key, key_file: file(key.key_file) } : key)) }
        : config.auth;
  return {
    ...config,
    data_dir: top("data_dir", config.data_dir),
    bundle: top("bundle", config.bundle),
    ...(config.state_password_file !== undefined ? { state_password_file: file(config.state_password_file) } : {}),
    auth,
    servers: config.servers.map((server) => ({
      ...server,
      roots: server.roots.map(file),
      transport:
        server.transport.type === "stdio"
          ? {
              ...server.transport,
              // A bare name is for PATH lookup; only a written path is resolved.
              command: server.transport.command.includes("/") ? file(server.transport.command) : server.transport.command,
              cwd: file(server.transport.cwd ?? "."),
              env: sources(server.transport.env),
            }
          : { ...server.transport, headers: sources(server.transport.headers) },
    })),
  };
}

function warningsFor(config: GatewayConfig): string[] {
  const warnings: string[] = [];
  if (config.auth.mode === "none") warnings.push("auth.mode is none: every client is anonymous; use only on a trusted workstation");
  if (config.auth.mode === "api_keys") {
    config.auth.keys.forEach((key, i) => {
      if (key.key !== undefined) warnings.push(`auth.keys[${i}].key: inline API key '${key.id}' (allow_inline_keys); do not use outside development`);
    });
  }
  // Off loopback the gateway is usually behind TLS: a resource derived as http://<Host> would not match the https URL clients use.
  if (config.auth.mode === "jwt" && config.auth.resource === undefined && !isLoopbackHost(config.listen.host)) {
    warnings.push("auth.resource is not set: OAuth clients are told this gateway's resource is http://<Host header>; set auth.resource to its public https URL");
  }
  for (const server of config.servers) {
    if (server.transport.type === "streamable_http" && new URL(server.transport.url).protocol === "http:") {
      warnings.push(`servers.${server.id}: plain http upstream; configured headers travel unencrypted`);
    }
  }
  return warnings;
}
