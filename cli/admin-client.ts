/**
 * @module The CLI's way to the gateway's admin API: which gateway (flag,
 * then MCPGOV_GATEWAY, then the local default) and whose token. The token
 * comes from an environment variable, never from a flag (flags show in
 * process lists and shell history).
 */
import { AdminApi } from "../src/admin/admin-api.js";
import { McpgovError } from "../src/core/errors.js";

export const DEFAULT_GATEWAY = "http://127.0.0.1:8787";
export const DEFAULT_TOKEN_ENV = "MCPGOV_TOKEN";

export function adminApi(options: {
  /** The --gateway flag, when given. */
  gateway: string | undefined;
  tokenEnv: string;
  env: Record<string, string | undefined>;
  /** Whose token the variable holds, for the message when it is missing ("an approver"). */
  holder?: string;
}): AdminApi {
  const text = options.gateway || options.env["MCPGOV_GATEWAY"] || DEFAULT_GATEWAY;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new McpgovError("usage", `--gateway: not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new McpgovError("usage", "--gateway: expected an http or https URL");
  const token = options.env[options.tokenEnv];
  if (!token) {
    throw new McpgovError("usage", `no token: set ${options.tokenEnv} to ${options.holder ?? "an admin"}'s bearer token (or name another variable with --token-env)`);
  }
  return new AdminApi(url.href, token);
}
