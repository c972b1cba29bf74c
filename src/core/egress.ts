/**
 * @module Egress targets: every place a tool call's arguments point at,
 * read the way Node reads them, and the allowlist check over them.
 *
 * A string is read as a URL the way `new URL()` (and so undici's fetch and
 * `http.request(url)`) will read it: tabs and newlines dropped, backslashes
 * as slashes for special schemes, `http:evil.com` and `//evil.com`
 * reaching evil.com, userinfo skipped, IPv4 in any numeric form, IDNs in
 * punycode. Hosts are then normalised once more (lower case, no trailing
 * dot, IP literals in canonical form, IPv4-mapped IPv6 as IPv4) so a rule
 * or an allowlist compares one spelling per address.
 *
 * What is read:
 * - a whole string that is a URL: `scheme://…` for any scheme, or any
 *   text after a scheme the gateway knows (http:, file:, data:, gopher: …);
 * - a whole string that starts with two slashes or backslashes: a
 *   scheme-relative URL, resolved as http (scheme "http");
 * - under a key that names a host (host, hostname, endpoint, base_url,
 *   server_url …): a bare `host`, `host:port`, `[v6]:port` or IPv6 literal
 *   (scheme "", no scheme named);
 * - inside any other text: `scheme://…`, and `scheme:/…` or `scheme:\…`
 *   for the special schemes (http, https, ws, wss, ftp, file).
 *
 * Nothing here resolves names: a host that resolves to a private address is
 * for network controls around the server.
 */
import { z } from "zod";

export const EgressTargetSchema = z
  .object({
    path: z.string().min(1).describe('JSON path of the argument that names the target, e.g. "$.url" or "$.items[2].href".'),
    scheme: z
      .string()
      .regex(/^([a-z][a-z0-9+.-]*)?$/)
      .describe('Lower-case scheme without the colon; "" for a bare host under a host-named key, "unscanned" for a value nested too deep to read.'),
    host: z.string().describe("Normalised host: lower case, punycode, no brackets, no trailing dot; IP literals canonical. Empty for file:///…, data:, javascript: …"),
    ip: z.string().optional().describe("Set when the host is an IP literal in any form: canonical dotted IPv4, or canonical compressed IPv6; IPv4-mapped IPv6 (::ffff:a.b.c.d) is given as the IPv4."),
    port: z.number().int().min(0).max(65535).optional().describe("An explicit, non-default port."),
  })
  .strict();
export type EgressTarget = z.infer<typeof EgressTargetSchema>;

/** Schemes whose targets an allowlist governs by host alone; "" is a bare host. */
export const NETWORK_SCHEMES: readonly string[] = ["", "http", "https", "ws", "wss"];

/** WHATWG special schemes: backslashes count as slashes, hosts are parsed (IPv4 numbers, IDNA). */
const SPECIAL = new Set(["http", "https", "ws", "wss", "ftp", "file"]);
/** Schemes recognised in a whole value even without `//` (`http:evil.com`, `file:/etc/passwd`, `javascript:…`). */
const KNOWN = new Set([
  ...SPECIAL,
  ...["data", "gopher", "javascript", "vbscript", "dict", "ldap", "ldaps", "jar", "netdoc", "tftp", "sftp", "ftps", "smb", "ssh", "telnet", "blob", "view-source"],
]);

/** Nesting deeper than this is not read; the value is reported as an "unscanned" target (fails closed under an allowlist). */
export const MAX_DEPTH = 64;
/** The marker scheme for a value nested deeper than MAX_DEPTH. */
export const UNSCANNED = "unscanned";

const SCHEME_PREFIX = /^([a-z][a-z0-9+.-]*):/i;
const URL_IN_TEXT = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{1,15}):([/\\][^\s"'<>()]*)/gi;
const HOST_KEYS = new Set(["host", "hostname", "domain", "server", "endpoint", "address", "addr", "ip", "url", "uri", "href", "link", "origin", "baseurl", "proxy", "webhook"]);
/** base_url, api-host, PROXY_HOSTS … */
const SEPARATED_HOST_KEY = /[_-](?:url|uri|host|hostname|endpoint|domain)s?$/i;
/** serverUrl, webhookURL, dbHost … but not ghost or curl. */
const CAMEL_HOST_KEY = /[a-z0-9](?:Url|URL|Uri|URI|Host|Hostname|HostName|Endpoint|Domain)s?$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;
/** What the WHATWG parser strips from both ends of the input (C0 controls and space). */
// eslint-disable-next-line no-control-regex -- the parser strips exactly these
const EDGES = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;
const TAB_OR_NEWLINE = /[\t\n\r]/g;
const SCHEME_RELATIVE_BASE = "http://scheme-relative.invalid/";

/** As the URL parser sees the input: ends trimmed, tabs and newlines gone. */
const urlInput = (value: string): string => value.replace(EDGES, "").replace(TAB_OR_NEWLINE, "");

function isHostKey(key: string | undefined): boolean {
  if (key === undefined) return false;
  if (SEPARATED_HOST_KEY.test(key) || CAMEL_HOST_KEY.test(key)) return true;
  const k = key.toLowerCase().replace(/[_-]/g, "");
  // Plurals too: hosts, urls, addresses, servers …
  return HOST_KEYS.has(k) || HOST_KEYS.has(k.replace(/s$/, "")) || HOST_KEYS.has(k.replace(/es$/, ""));
}

/** A host in the one spelling rules and allowlists compare, with its IP when it is an IP literal. */
export function canonicalHost(raw: string): { host: string; ip?: string } {
  const written = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (written === "") return { host: written };
  const parsed = hostnameOf(written) ?? hostnameOf(written.replace(/\.+$/, ""));
  // Not a host URL accepts (a non-special scheme's opaque host, 08.0.0.1 …): compare it as written.
  if (parsed === undefined) return { host: written.replace(/\.+$/, "") };
  const host = parsed.replace(/^\[(.*)\]$/, "$1").replace(/\.+$/, "");
  if (IPV4.test(host)) return { host, ip: host };
  if (!host.includes(":")) return { host };
  const mapped = MAPPED.exec(host);
  if (!mapped) return { host, ip: host };
  const hi = parseInt(mapped[1]!, 16);
  const lo = parseInt(mapped[2]!, 16);
  return { host, ip: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}` };
}

/** The hostname URL makes of a host; IPv6 zone ids (fe80::1%eth0), refused by URL but honoured by sockets, dropped. */
function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host.includes(":") ? `[${host.replace(/%.*$/, "")}]` : host}/`).hostname;
  } catch {
    return undefined;
  }
}

function target(path: string, scheme: string, rawHost: string, port: string | undefined): EgressTarget {
  const { host, ip } = canonicalHost(rawHost);
  return { path, scheme, host, ...(ip !== undefined ? { ip } : {}), ...(port ? { port: Number(port) } : {}) };
}

/** The target of one URL string, as `new URL()` reads it; undefined when it names nothing. */
export function urlTarget(text: string, path = "$"): EgressTarget | undefined {
  const cleaned = urlInput(text);
  const relative = /^[/\\]{2}/.test(cleaned);
  let url: URL;
  try {
    url = relative ? new URL(cleaned, SCHEME_RELATIVE_BASE) : new URL(cleaned);
  } catch {
    // Node would refuse it too; another parser might not, so name the authority as written.
    const raw = /^([a-z][a-z0-9+.-]*):[/\\]{2}([^/\\?#]*)/i.exec(cleaned);
    if (!raw) return undefined;
    const authority = raw[2]!.slice(raw[2]!.lastIndexOf("@") + 1).replace(/:\d*$/, "");
    return target(path, raw[1]!.toLowerCase(), authority, undefined);
  }
  return target(path, url.protocol.slice(0, -1).toLowerCase(), url.hostname, url.port);
}

/**
 * A bare host under a host-named key: `db.internal`, `db:5432`, `[::1]:80`,
 * `::1`, `2130706433`, also followed by a path (`evil.test/x`, as a client
 * that adds the scheme reads it) when the host has a dot or a port.
 */
function bareHostTarget(text: string, path: string): EgressTarget | undefined {
  const whole = text.trim();
  if (whole === "" || /[\s@]/.test(whole)) return undefined;
  const value = whole.split(/[/\\?#]/, 1)[0]!;
  if (value !== whole && !/[.:]/.test(value)) return undefined;
  let host = value;
  let port: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) [, host = "", port] = bracketed;
  else if (!/:.*:/.test(value)) {
    const withPort = /^(.*):(\d{1,5})$/.exec(value);
    if (withPort) [, host = "", port] = withPort;
  }
  if (host === "" || /[[\]]/.test(host)) return undefined;
  // A host URL refuses is still named, as written: a resolver may take it (08.0.0.1), and an allowlist must not.
  const found = target(path, "", host, port);
  return found.host === "" ? undefined : found;
}

/** The URL a whole value is, if it is one; "text" sends it to the text scan. */
function wholeValueTarget(cleaned: string, path: string): EgressTarget | undefined | "text" {
  const scheme = SCHEME_PREFIX.exec(cleaned);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    const rest = cleaned.slice(scheme[0].length);
    if ((KNOWN.has(name) && rest !== "" && !/^\s/.test(rest)) || (name.length >= 2 && rest.startsWith("//"))) return urlTarget(cleaned, path);
  } else if (/^[/\\]{2}/.test(cleaned)) {
    return urlTarget(cleaned, path);
  }
  return "text";
}

function* targetsInText(text: string, path: string): Generator<EgressTarget> {
  const pattern = new RegExp(URL_IN_TEXT);
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    // Go on scanning inside this match: a URL can carry another (…?url=http://…).
    pattern.lastIndex = match.index + match[1]!.length + 1;
    const scheme = match[1]!.toLowerCase();
    if (!match[2]!.startsWith("//") && !SPECIAL.has(scheme)) continue;
    const found = urlTarget(match[0], path);
    if (found) yield found;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const childPath = (path: string, key: string): string => (IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);

/**
 * Every egress target named by the arguments, in the order met, without
 * duplicates. Never throws; a value nested deeper than MAX_DEPTH gives an
 * "unscanned" target instead of being skipped.
 */
export function extractEgressTargets(args: unknown): EgressTarget[] {
  const found = new Map<string, EgressTarget>();
  const add = (t: EgressTarget | undefined): void => {
    if (t) found.set(`${t.path}\u0000${t.scheme}\u0000${t.host}\u0000${t.port ?? ""}`, t);
  };
  // An explicit stack: arguments nest as deep as JSON allows, the call stack does not.
  const stack: Array<{ value: unknown; key: string | undefined; path: string; depth: number }> = [{ value: args, key: undefined, path: "$", depth: 0 }];
  while (stack.length > 0) {
    const { value, key, path, depth } = stack.pop()!;
    if (typeof value === "string") {
      const cleaned = urlInput(value);
      const whole = wholeValueTarget(cleaned, path);
      if (whole !== "text") {
        add(whole);
        // A URL inside a URL (a proxy's ?url=…) is somewhere the call may reach too.
        for (const t of targetsInText(cleaned, path)) add(t);
      } else if (isHostKey(key) && !/\s/.test(value.trim())) add(bareHostTarget(value, path));
      else for (const t of targetsInText(value, path)) add(t);
    } else if (typeof value === "number" && Number.isInteger(value) && value >= 0 && isHostKey(key)) {
      add(bareHostTarget(String(value), path));
    } else if (value !== null && typeof value === "object") {
      if (depth >= MAX_DEPTH) {
        add({ path, scheme: UNSCANNED, host: "" });
        continue;
      }
      const entries: Array<[string, unknown, string]> = Array.isArray(value)
        ? value.map((item, i) => [key ?? "", item, `${path}[${i}]`])
        : Object.entries(value).map(([k, v]) => [k, v, childPath(path, k)]);
      // Pushed in reverse so targets come out in document order.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v, p] = entries[i]!;
        stack.push({ value: v, key: Array.isArray(value) ? key : k, path: p, depth: depth + 1 });
      }
    }
  }
  return [...found.values()];
}

/**
 * Exact host match, or a `*.example.com` entry matching any subdomain (not
 * the apex). Both sides are canonicalised first, so `2130706433`,
 * `0x7f.1` and `[::ffff:127.0.0.1]` all match an entry `127.0.0.1`; IP
 * literals never match a wildcard.
 */
export function hostAllowed(host: string, allowlist: readonly string[]): boolean {
  const h = canonicalHost(host);
  const key = h.ip ?? h.host;
  return allowlist.some((entry) => {
    const trimmed = entry.trim();
    if (trimmed.startsWith("*.")) {
      const suffix = canonicalHost(trimmed.slice(2)).host;
      return h.ip === undefined && suffix !== "" && key.endsWith(`.${suffix}`);
    }
    const e = canonicalHost(trimmed);
    return (e.ip ?? e.host) === key && key !== "";
  });
}

export interface EgressOptions {
  /** Schemes allowed besides http, https, ws and wss, as if the allowlist named them (`file`, `ftp` …). */
  allowedSchemes?: readonly string[];
}

export type EgressVerdict = { ok: true } | { ok: false; offending: string[]; reason: string };

const SCHEME_ENTRY = /^([a-z][a-z0-9+.-]*):$/i;

/**
 * Checks targets against a network allowlist. Entries are hosts (`api.github.com`,
 * `*.example.com`, IP literals in any form) or schemes (`file:`, `ftp:`).
 * A target of a network scheme (http, https, ws, wss, or a bare host) needs
 * its host on the list; a target of any other scheme needs its scheme named
 * and, when it has a host, that host on the list too.
 */
export function checkEgress(targets: readonly EgressTarget[], allowlist: readonly string[], options: EgressOptions = {}): EgressVerdict {
  const named = allowlist.map((entry) => SCHEME_ENTRY.exec(entry.trim())?.[1]?.toLowerCase()).filter((s): s is string => s !== undefined);
  const extraSchemes = new Set([...named, ...(options.allowedSchemes ?? []).map((s) => s.toLowerCase().replace(/:$/, ""))]);
  const hosts = allowlist.filter((entry) => !SCHEME_ENTRY.test(entry.trim()));
  const offHosts = new Set<string>();
  const offSchemes = new Set<string>();
  for (const t of targets) {
    const network = NETWORK_SCHEMES.includes(t.scheme);
    if (!network && !extraSchemes.has(t.scheme)) {
      offSchemes.add(t.host ? `${t.scheme}://${t.host}` : `${t.scheme}:`);
      continue;
    }
    if (t.host !== "" && !hostAllowed(t.ip ?? t.host, hosts)) offHosts.add(t.ip ?? t.host);
  }
  if (offHosts.size === 0 && offSchemes.size === 0) return { ok: true };
  const list = allowlist.join(", ") || "empty";
  const reasons: string[] = [];
  if (offHosts.size > 0) reasons.push(`host(s) ${[...offHosts].sort().join(", ")} not on the network allowlist (${list})`);
  if (offSchemes.size > 0) reasons.push(`scheme(s) of ${[...offSchemes].sort().join(", ")} not named by the network allowlist (${list})`);
  return { ok: false, offending: [...[...offHosts].sort(), ...[...offSchemes].sort()], reason: reasons.join("; ") };
}
