/**
 * @module Hosts a tool call would reach, and the network allowlist check.
 *
 * The gateway cannot see a server's sockets; what it can check before
 * dispatch is every host the call names. A string argument counts when it
 * is a URL with a scheme (http://x, wss://x, ftp://x …), or when it sits
 * under a key that names a host (host, hostname, domain, server, endpoint,
 * base_url …) and looks like a host name or address.
 */

const URL_LIKE = /^[a-z][a-z0-9+.-]{1,15}:\/\/[^\s/?#]+/i;
const HOST_KEYS = /^(host|hostname|domain|server|endpoint|address|base_?url|url|uri|origin)$/i;
const HOST_LIKE = /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*)(:\d{1,5})?$/i;
/** Strings longer than this are documents, not addresses; scanning them is left to output safety. */
const MAX_CANDIDATE = 2048;
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s"'<>()]+/gi;

export function hostOfUrl(text: string): string | undefined {
  try {
    const host = new URL(text).hostname.toLowerCase();
    return host.replace(/^\[(.*)\]$/, "$1") || undefined;
  } catch {
    return undefined;
  }
}

function hostOfPlain(text: string): string | undefined {
  if (!HOST_LIKE.test(text)) return undefined;
  return hostOfUrl(`http://${text}`);
}

/** Every host named by the arguments, lower-cased, sorted, without duplicates. */
export function hostsInArguments(args: unknown): string[] {
  const hosts = new Set<string>();
  const visit = (value: unknown, key: string | undefined, depth: number): void => {
    if (depth > 64) return;
    if (typeof value === "string") {
      if (value.length > MAX_CANDIDATE) {
        // Long text can still carry URLs an agent wants fetched.
        for (const match of value.slice(0, 1 << 20).matchAll(URL_IN_TEXT)) {
          const host = hostOfUrl(match[0]);
          if (host) hosts.add(host);
        }
        return;
      }
      const trimmed = value.trim();
      if (URL_LIKE.test(trimmed)) {
        const host = hostOfUrl(trimmed);
        if (host) hosts.add(host);
      } else if (key !== undefined && HOST_KEYS.test(key)) {
        const host = hostOfPlain(trimmed);
        if (host) hosts.add(host);
      } else {
        for (const match of trimmed.matchAll(URL_IN_TEXT)) {
          const host = hostOfUrl(match[0]);
          if (host) hosts.add(host);
        }
      }
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key, depth + 1);
      return;
    }
    if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) visit(v, k, depth + 1);
    }
  };
  visit(args, undefined, 0);
  return [...hosts].sort();
}

/**
 * Exact host match, or a `*.example.com` entry matching any subdomain (not
 * the apex). Comparison is case-insensitive; a trailing dot is ignored.
 */
export function hostAllowed(host: string, allowlist: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return allowlist.some((entry) => {
    const e = entry.toLowerCase().replace(/\.$/, "");
    if (e.startsWith("*.")) return h.endsWith(e.slice(1)) && h.length > e.length - 1;
    return h === e;
  });
}

export function hostsOffList(hosts: readonly string[], allowlist: readonly string[]): string[] {
  return hosts.filter((host) => !hostAllowed(host, allowlist));
}
