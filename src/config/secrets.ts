/**
 * @module Resolves the config's secret sources (literal, from_env, from_file)
 * when they are needed. Errors name the field and the variable or file,
 * never a value.
 */
import { access, readFile } from "node:fs/promises";
import { constants } from "node:fs";
import { McpgovError } from "../core/errors.js";
import type { ApiKeysAuthConfig, GatewayConfig, SecretSource } from "../core/gateway-config.js";

type Env = Record<string, string | undefined>;

/** API keys shorter than this are refused: they can be guessed. */
export const MIN_API_KEY_LENGTH = 16;

interface SecretReference {
  path: PropertyKey[];
  env?: string;
  file?: string;
}

export interface SecretProblem {
  path: PropertyKey[];
  message: string;
}

/** The PostgreSQL password the config names, or undefined (pg then reads PGPASSWORD or ~/.pgpass). */
export async function resolveStatePassword(config: GatewayConfig, env: Env): Promise<string | undefined> {
  if (config.state_password_env !== undefined) return fromEnv(config.state_password_env, "state_password_env", env);
  if (config.state_password_file !== undefined) return fromFile(config.state_password_file, "state_password_file");
  return undefined;
}

export async function resolveSecret(source: SecretSource, field: string, env: Env): Promise<string> {
  if (typeof source === "string") return source;
  if ("from_env" in source) return fromEnv(source.from_env, field, env);
  if ("path" in source) return source.path;
  return fromFile(source.from_file, field);
}

export async function resolveSecretMap(map: Record<string, SecretSource>, field: string, env: Env): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, source] of Object.entries(map)) out[name] = await resolveSecret(source, `${field}.${name}`, env);
  return out;
}

export interface ResolvedApiKey {
  id: string;
  key: string;
  subject: string;
  tenant?: string;
  roles: string[];
  scopes: string[];
}

/** The configured keys with their values; refuses short or shared keys. */
export async function resolveApiKeys(auth: ApiKeysAuthConfig, env: Env): Promise<ResolvedApiKey[]> {
  const resolved: ResolvedApiKey[] = [];
  const owners = new Map<string, string>();
  for (const [index, entry] of auth.keys.entries()) {
    const field = `auth.keys[${index}]`;
    const key = entry.key_env
      ? fromEnv(entry.key_env, `${field}.key_env`, env)
      : entry.key_file
        ? await fromFile(entry.key_file, `${field}.key_file`)
        : (entry.key ?? "");
    const from = entry.key_env ? `environment variable ${entry.key_env}` : entry.key_file ? `file ${entry.key_file}` : "the inline key";
    if (key.length < MIN_API_KEY_LENGTH) {
      throw new McpgovError("config_invalid", `${field} (${entry.id}): the key from ${from} is shorter than ${MIN_API_KEY_LENGTH} characters`);
    }
    const other = owners.get(key);
    if (other !== undefined) throw new McpgovError("config_invalid", `${field} (${entry.id}): same key as '${other}'; every key must name one subject`);
    owners.set(key, entry.id);
    resolved.push({
      id: entry.id,
      key,
      subject: entry.subject,
      ...(entry.tenant ? { tenant: entry.tenant } : {}),
      roles: entry.roles,
      scopes: entry.scopes,
    });
  }
  return resolved;
}

/** Every secret the config refers to; used at start so a missing one stops the gateway before it serves. */
export function secretReferences(config: GatewayConfig): SecretReference[] {
  const refs: SecretReference[] = [];
  const add = (path: PropertyKey[], source: SecretSource) => {
    if (typeof source === "string" || "path" in source) return;
    refs.push("from_env" in source ? { path, env: source.from_env } : { path, file: source.from_file });
  };
  config.servers.forEach((server, i) => {
    const t = server.transport;
    if (t.type === "stdio") for (const [name, source] of Object.entries(t.env)) add(["servers", i, "transport", "env", name], source);
    else for (const [name, source] of Object.entries(t.headers)) add(["servers", i, "transport", "headers", name], source);
  });
  const authRefs = (auth: GatewayConfig["auth"], at: "auth" | "admin_auth") => {
    if (auth.mode === "jwt") {
      if (auth.shared_secret_env) refs.push({ path: [at, "shared_secret_env"], env: auth.shared_secret_env });
      if (auth.public_key_file) refs.push({ path: [at, "public_key_file"], file: auth.public_key_file });
    }
    if (auth.mode === "api_keys") {
      auth.keys.forEach((key, i) => {
        if (key.key_env) refs.push({ path: [at, "keys", i, "key_env"], env: key.key_env });
        if (key.key_file) refs.push({ path: [at, "keys", i, "key_file"], file: key.key_file });
      });
    }
  };
  authRefs(config.auth, "auth");
  if (config.admin_auth) authRefs(config.admin_auth, "admin_auth");
  if (config.state_password_env !== undefined) refs.push({ path: ["state_password_env"], env: config.state_password_env });
  if (config.state_password_file !== undefined) refs.push({ path: ["state_password_file"], file: config.state_password_file });
  const webhook = config.approvals.webhook;
  if (webhook) for (const [name, source] of Object.entries(webhook.headers)) add(["approvals", "webhook", "headers", name], source);
  if (config.tracing) for (const [name, source] of Object.entries(config.tracing.headers)) add(["tracing", "headers", name], source);
  return refs;
}

/** Checks that each referenced variable is set and each file readable, without keeping any value. */
export async function checkSecretReferences(config: GatewayConfig, env: Env, options: { httpAuth?: boolean } = {}): Promise<SecretProblem[]> {
  const problems: SecretProblem[] = [];
  const httpAuth = options.httpAuth ?? true;
  for (const ref of secretReferences(config)) {
    // Client authentication happens only over HTTP; without it those secrets are never read.
    if (!httpAuth && (ref.path[0] === "auth" || ref.path[0] === "admin_auth")) continue;
    if (ref.env !== undefined && !env[ref.env]) problems.push({ path: ref.path, message: `environment variable ${ref.env} is not set` });
    if (ref.file !== undefined) {
      try {
        await access(ref.file, constants.R_OK);
      } catch (cause) {
        problems.push({ path: ref.path, message: `cannot read ${ref.file}: ${(cause as NodeJS.ErrnoException).code ?? "error"}` });
      }
    }
  }
  return problems;
}

function fromEnv(name: string, field: string, env: Env): string {
  const value = env[name];
  if (!value) throw new McpgovError("config_invalid", `${field}: environment variable ${name} is not set`, { data: { field, variable: name } });
  return value;
}

async function fromFile(path: string, field: string): Promise<string> {
  try {
    return (await readFile(path, "utf8")).replace(/\r?\n$/, "");
  } catch (cause) {
    throw new McpgovError("config_invalid", `${field}: cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? "error"}`, {
      data: { field, file: path },
      cause,
    });
  }
}
