/**
 * @module The CLI's client for the gateway's admin API. The token comes from
 * an environment variable, never from a flag (flags show in process lists),
 * and never appears in an error.
 */
import { describeThrown, McpgovError } from "../src/core/errors.js";

export interface AdminClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
}

export function adminClient(options: { gateway: string; tokenEnv: string; env: Record<string, string | undefined> }): AdminClient {
  let base: URL;
  try {
    base = new URL(options.gateway);
  } catch {
    throw new McpgovError("usage", `--gateway: not a URL: ${JSON.stringify(options.gateway)}`);
  }
  const token = options.env[options.tokenEnv];
  if (!token) throw new McpgovError("usage", `no admin token: set the environment variable ${options.tokenEnv} (or name another with --token-env)`);

  const send = async <T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> => {
    const url = new URL(path, base);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (cause) {
      throw new McpgovError("io_error", `cannot reach the gateway at ${base.origin}: ${describeThrown(cause)}`, { cause });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new McpgovError("io_error", `${method} ${url.pathname}: the gateway answered ${response.status} with a non-JSON body`);
    }
    if (!response.ok) {
      const record = parsed as { error?: unknown; state?: unknown };
      const message = typeof record.error === "string" ? record.error : typeof (record.error as { message?: unknown })?.message === "string" ? (record.error as { message: string }).message : text.slice(0, 200);
      throw new McpgovError("input_invalid", `${method} ${url.pathname}: ${response.status} ${message}`);
    }
    return parsed as T;
  };
  return { get: (path) => send("GET", path), post: (path, body) => send("POST", path, body) };
}
