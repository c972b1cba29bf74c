/**
 * @module Names on the aggregated endpoint (/mcp, `mcpgov stdio` without
 * --server): every server's tools, prompts and resources under one MCP
 * server, each name or URI carrying the registry id of the server it
 * belongs to, reversibly.
 *
 * Tools and prompts: `<server>__<name>`, e.g. `filesystem__read_file`.
 * Registry ids never contain `_` (ServerIdSchema), so the server id is
 * everything before the first `_`, and the name is everything after the
 * `__` that follows it, byte for byte (a name may itself contain `__`).
 * Two different (server, name) pairs therefore never give the same string,
 * and no escaping is needed.
 *
 * Resources and resource templates: `mcpgov://<server>/<original URI>`,
 * e.g. `mcpgov://everything/demo://resource/static/document/a.md`. Registry
 * ids never contain `/`, so the id ends at the first `/` after `mcpgov://`
 * and the rest is the server's own URI, unchanged. The original is appended
 * as written, never percent-encoded, so a URI template's `{variables}` stay
 * expandable by the client and the expanded URI maps back the same way.
 */
import { ServerIdSchema } from "./gateway-config.js";

export const NAME_SEPARATOR = "__";
export const URI_PREFIX = "mcpgov://";

/** The real server and the server's own name (a tool's, a prompt's) or URI. */
export interface Qualified {
  server: string;
  name: string;
}

const isServerId = (id: string): boolean => ServerIdSchema.safeParse(id).success;

/** A tool's or prompt's aggregated name. */
export function namespaceName(server: string, name: string): string {
  return `${server}${NAME_SEPARATOR}${name}`;
}

/** The server and name an aggregated tool or prompt name stands for; undefined when it is not one. */
export function parseNamespacedName(aggregated: string): Qualified | undefined {
  const at = aggregated.indexOf(NAME_SEPARATOR);
  if (at <= 0) return undefined;
  const server = aggregated.slice(0, at);
  const name = aggregated.slice(at + NAME_SEPARATOR.length);
  return isServerId(server) && name.length > 0 ? { server, name } : undefined;
}

/** A resource's (or template's) aggregated URI. */
export function namespaceUri(server: string, uri: string): string {
  return `${URI_PREFIX}${server}/${uri}`;
}

/** The server and its own URI an aggregated URI stands for; undefined when it is not one. */
export function parseNamespacedUri(aggregated: string): Qualified | undefined {
  if (!aggregated.startsWith(URI_PREFIX)) return undefined;
  const rest = aggregated.slice(URI_PREFIX.length);
  const at = rest.indexOf("/");
  if (at <= 0) return undefined;
  const server = rest.slice(0, at);
  const name = rest.slice(at + 1);
  return isServerId(server) && name.length > 0 ? { server, name } : undefined;
}
