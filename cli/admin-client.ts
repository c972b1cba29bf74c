/**
 * @module The CLI's way to the gateway's admin API: the token comes from an
 * environment variable, never from a flag (flags show in process lists).
 */
import { AdminApi } from "../src/admin/admin-api.js";
import { McpgovError } from "../src/core/errors.js";

export function adminApi(options: { gateway: string; tokenEnv: string; env: Record<string, string | undefined> }): AdminApi {
  try {
    new URL(options.gateway);
  } catch {
    throw new McpgovError("usage", `--gateway: not a URL: ${JSON.stringify(options.gateway)}`);
  }
  const token = options.env[options.tokenEnv];
  if (!token) throw new McpgovError("usage", `no admin token: set the environment variable ${options.tokenEnv} (or name another with --token-env)`);
  return new AdminApi(options.gateway, token);
}
