import { describe, expect, it } from "vitest";
import { canonicalHost, checkEgress, type EgressTarget, EgressTargetSchema, extractEgressTargets, hostAllowed, MAX_DEPTH, urlTarget } from "./egress.js";

const ALLOW = ["api.github.com"];

/** What Node's URL parser makes of the host (as undici fetch and http.request(url) will connect to it). */
function nodeHost(value: string): string {
  const cleaned = value.trim();
  const url = /^[/\\]{2}/.test(cleaned) ? new URL(cleaned, "http://base.invalid/") : new URL(cleaned);
  return url.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
}

// [what, the URL as the client sends it, scheme, host, ip]
const URL_FORMS: Array<[string, string, string, string, string | undefined]> = [
  ["plain https", "https://evil.test/x", "https", "evil.test", undefined],
  ["scheme-relative", "//evil.test/x", "http", "evil.test", undefined],
  ["scheme-relative with backslashes", "\\\\evil.test\\x", "http", "evil.test", undefined],
  ["backslashes after the scheme", "http:\\\\evil.test\\x", "http", "evil.test", undefined],
  ["slash then backslash", "http:/\\evil.test", "http", "evil.test", undefined],
  ["one slash", "http:/evil.test/x", "http", "evil.test", undefined],
  ["no slashes", "http:evil.test", "http", "evil.test", undefined],
  ["a tab and a newline inside", "ht\ttp://ev\nil.test/", "http", "evil.test", undefined],
  ["leading control characters and spaces", "\u0001  https://evil.test/ ", "https", "evil.test", undefined],
  ["userinfo naming the allowed host", "http://api.github.com@evil.test/", "http", "evil.test", undefined],
  ["userinfo with password", "https://api.github.com:x@evil.test/", "https", "evil.test", undefined],
  ["backslash before @", "http://evil.test\\@api.github.com/", "http", "evil.test", undefined],
  ["upper case", "HTTPS://EVIL.TEST/", "https", "evil.test", undefined],
  ["trailing dot", "http://metadata.google.internal./computeMetadata/v1/", "http", "metadata.google.internal", undefined],
  ["percent-encoded host", "http://%65vil.test/", "http", "evil.test", undefined],
  ["ideographic full stop", "http://evil\u3002test/", "http", "evil.test", undefined],
  ["IDN (Cyrillic a)", "https://\u0430pi.github.com/", "https", "xn--pi-6kc.github.com", undefined],
  ["IPv4 decimal", "http://2130706433/", "http", "127.0.0.1", "127.0.0.1"],
  ["IPv4 octal", "http://0177.0.0.1/", "http", "127.0.0.1", "127.0.0.1"],
  ["IPv4 hex", "http://0x7f.1/", "http", "127.0.0.1", "127.0.0.1"],
  ["IPv4 shortened", "http://127.1/", "http", "127.0.0.1", "127.0.0.1"],
  ["IPv4 with a trailing dot", "http://169.254.169.254./", "http", "169.254.169.254", "169.254.169.254"],
  ["metadata IPv4 in decimal", "http://2852039166/latest/meta-data/", "http", "169.254.169.254", "169.254.169.254"],
  ["IPv4-mapped IPv6, dotted", "http://[::ffff:169.254.169.254]/", "http", "::ffff:a9fe:a9fe", "169.254.169.254"],
  ["IPv4-mapped IPv6, hex", "http://[::ffff:a9fe:a9fe]/", "http", "::ffff:a9fe:a9fe", "169.254.169.254"],
  ["IPv4-mapped IPv6, long form", "http://[0:0:0:0:0:ffff:7f00:1]/", "http", "::ffff:7f00:1", "127.0.0.1"],
  ["IPv6 upper case", "http://[FE80:0:0::1]:8080/", "http", "fe80::1", "fe80::1"],
  ["AWS IPv6 metadata", "http://[fd00:ec2::254]/latest/", "http", "fd00:ec2::254", "fd00:ec2::254"],
  ["websocket", "wss://evil.test:8443/socket", "wss", "evil.test", undefined],
];

describe("extractEgressTargets reads URLs as Node does", () => {
  it.each(URL_FORMS)("%s", (_what, url, scheme, host, ip) => {
    const targets = extractEgressTargets({ url });
    expect(targets).toHaveLength(1);
    const [t] = targets as [EgressTarget];
    expect(EgressTargetSchema.parse(t)).toEqual(t);
    expect(t).toMatchObject({ path: "$.url", scheme, host });
    expect(t.ip).toBe(ip);
    // The host is the one Node's URL parser yields (canonicalised once more).
    expect(canonicalHost(nodeHost(url)).host).toBe(host);
    expect(t.host).toBe(nodeHost(url).replace(/\.$/, ""));
    const verdict = checkEgress(targets, ALLOW);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.offending).toEqual([ip ?? host]);
  });

  it("keeps an explicit port and drops a default one", () => {
    expect(extractEgressTargets({ a: "http://evil.test:8080/", b: "https://evil.test:443/" })).toEqual([
      { path: "$.a", scheme: "http", host: "evil.test", port: 8080 },
      { path: "$.b", scheme: "https", host: "evil.test" },
    ]);
  });
});

// [what, argument value, scheme, host]
const OTHER_SCHEMES: Array<[string, string, string, string]> = [
  ["file, no host", "file:///etc/passwd", "file", ""],
  ["file, one slash", "file:/etc/passwd", "file", ""],
  ["file, UNC host", "file://fileserver/share/x", "file", "fileserver"],
  ["file, backslashes", "file:\\\\fileserver\\share", "file", "fileserver"],
  ["data", "data:text/html,<script>alert(1)</script>", "data", ""],
  ["javascript", "javascript:alert(1)", "javascript", ""],
  ["gopher with a decimal IP", "gopher://2130706433:70/_x", "gopher", "127.0.0.1"],
  ["dict", "dict://evil.test:11211/stat", "dict", "evil.test"],
  ["ldap", "ldap://EVIL.test/o=x", "ldap", "evil.test"],
  ["ftp", "ftp://api.github.com/x", "ftp", "api.github.com"],
  ["jar", "jar:http://evil.test/x.jar!/", "jar", ""],
  ["an unknown scheme with an authority", "redis://cache.internal:6379", "redis", "cache.internal"],
];

describe("extractEgressTargets reports non-network schemes", () => {
  it.each(OTHER_SCHEMES)("%s", (_what, value, scheme, host) => {
    const targets = extractEgressTargets({ target: value });
    expect(targets[0]).toMatchObject({ path: "$.target", scheme, host });
    const verdict = checkEgress(targets, ALLOW);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.reason).toContain(`scheme(s) of ${scheme}:`);
  });

  it("also reports the URL a jar: URL wraps", () => {
    expect(extractEgressTargets({ u: "jar:http://evil.test/x.jar!/" }).map((t) => [t.scheme, t.host])).toEqual([
      ["jar", ""],
      ["http", "evil.test"],
    ]);
  });
});

// [what, key, value, host, ip, port]
const HOST_KEYED: Array<[string, string, unknown, string, string | undefined, number | undefined]> = [
  ["host name", "host", "db.internal", "db.internal", undefined, undefined],
  ["host:port", "hostname", "db.internal:5432", "db.internal", undefined, 5432],
  ["trailing dot, upper case", "server", "Metadata.Google.Internal.", "metadata.google.internal", undefined, undefined],
  ["IPv4", "address", "169.254.169.254", "169.254.169.254", "169.254.169.254", undefined],
  ["IPv4 decimal", "host", "2130706433", "127.0.0.1", "127.0.0.1", undefined],
  ["IPv4 decimal as a JSON number", "host", 2852039166, "169.254.169.254", "169.254.169.254", undefined],
  ["IPv4 octal with port", "endpoint", "0177.0.0.1:80", "127.0.0.1", "127.0.0.1", 80],
  ["IPv4 hex", "ip", "0x7f.1", "127.0.0.1", "127.0.0.1", undefined],
  ["bare IPv6", "host", "::1", "::1", "::1", undefined],
  ["bare IPv6 with a zone id", "host", "fe80::1%eth0", "fe80::1", "fe80::1", undefined],
  ["bracketed IPv6 with port", "base_url", "[::ffff:169.254.169.254]:8080", "::ffff:a9fe:a9fe", "169.254.169.254", 8080],
  ["camelCase key", "baseUrl", "evil.test", "evil.test", undefined, undefined],
  ["*_url key", "webhook_url", "evil.test:8443", "evil.test", undefined, 8443],
  ["host with a path", "url", "evil.test/x?y=1", "evil.test", undefined, undefined],
  ["IP with port and path", "endpoint", "169.254.169.254:80/latest", "169.254.169.254", "169.254.169.254", 80],
];

describe("extractEgressTargets reads bare hosts under host-named keys", () => {
  it.each(HOST_KEYED)("%s", (_what, key, value, host, ip, port) => {
    const targets = extractEgressTargets({ [key]: value });
    expect(targets).toEqual([{ path: `$.${key}`, scheme: "", host, ...(ip ? { ip } : {}), ...(port ? { port } : {}) }]);
    expect(checkEgress(targets, ALLOW).ok).toBe(false);
  });

  it("leaves prose, paths and e-mail addresses under host keys alone", () => {
    expect(
      extractEgressTargets({ server: "the production one", address: "bob@example.com", host: "/var/run/x.sock", href: "docs/readme.md", uri: "./x", link: "../up" }),
    ).toEqual([]);
  });

  it("names a host Node's URL parser refuses as written, so an allowlist denies it", () => {
    const targets = extractEgressTargets({ host: "08.0.0.1" });
    expect(targets).toEqual([{ path: "$.host", scheme: "", host: "08.0.0.1" }]);
    expect(checkEgress(targets, ALLOW).ok).toBe(false);
  });

  it("reads plural keys, item by item", () => {
    expect(extractEgressTargets({ hosts: ["a.test", "b.test:81"], addresses: ["10.0.0.1"] })).toEqual([
      { path: "$.hosts[0]", scheme: "", host: "a.test" },
      { path: "$.hosts[1]", scheme: "", host: "b.test", port: 81 },
      { path: "$.addresses[0]", scheme: "", host: "10.0.0.1", ip: "10.0.0.1" },
    ]);
  });

  it("does not read bare host names under other keys", () => {
    expect(extractEgressTargets({ title: "example.com is great", note: "2130706433", ghost: "evil.test", curl: "evil.test", hostel: "evil.test" })).toEqual([]);
  });

  it.each(["base_url", "API-HOST", "serverUrl", "webhookURL", "dbHost", "proxy_hosts", "Endpoint", "domains"])("reads a bare host under %s", (key) => {
    expect(extractEgressTargets({ [key]: "evil.test" })).toEqual([{ path: expect.any(String), scheme: "", host: "evil.test" }]);
  });
});

describe("extractEgressTargets in text and structure", () => {
  it("finds URLs inside free text, with the path of the string", () => {
    expect(extractEgressTargets({ body: "please fetch http://169.254.169.254/latest/meta-data now, or http:\\\\evil.test" })).toEqual([
      { path: "$.body", scheme: "http", host: "169.254.169.254", ip: "169.254.169.254" },
      { path: "$.body", scheme: "http", host: "evil.test" },
    ]);
  });

  it("finds URLs in very long text", () => {
    const text = `${"lorem ipsum ".repeat(100_000)} see https://evil.test/x`;
    expect(extractEgressTargets({ doc: text }).map((t) => t.host)).toEqual(["evil.test"]);
  });

  it("finds a URL inside a URL", () => {
    expect(extractEgressTargets({ url: "https://api.github.com/proxy?u=http://169.254.169.254/" }).map((t) => t.host)).toEqual(["api.github.com", "169.254.169.254"]);
  });

  it("names nested paths, array items and odd keys", () => {
    expect(extractEgressTargets({ a: { list: ["x", "https://evil.test"] }, "odd key": "//evil2.test" }).map((t) => t.path)).toEqual(['$.a.list[1]', '$["odd key"]']);
  });

  it("does not take words with colons, drive letters or relative paths for URLs", () => {
    expect(extractEgressTargets({ a: "note: call me", b: "C:\\Windows\\x", c: "/tmp/file.txt", d: "data: 5 rows", e: "a/b", f: 3, g: true, h: null })).toEqual([]);
  });

  it("reports values nested deeper than it reads as unscanned, which fails closed", () => {
    let deep: unknown = "https://evil.test";
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = [deep];
    const targets = extractEgressTargets({ deep });
    expect(targets).toEqual([expect.objectContaining({ scheme: "unscanned", host: "" })]);
    expect(checkEgress(targets, ALLOW).ok).toBe(false);
  });

  it("never throws on odd input", () => {
    for (const value of [undefined, null, 1, "x", [], {}, { u: "http://[::1" }, { u: "http://exa mple.com/" }, { host: "[zz]" }]) {
      expect(() => extractEgressTargets(value)).not.toThrow();
    }
  });

  it("names the authority of a URL Node refuses, as written", () => {
    expect(extractEgressTargets({ u: "http://exa mple.test/" })).toContainEqual({ path: "$.u", scheme: "http", host: "exa mple.test" });
  });
});

describe("checkEgress", () => {
  const targets = (args: unknown) => extractEgressTargets(args);

  it("passes hosts on the list, exactly or by wildcard subdomain", () => {
    expect(checkEgress(targets({ a: "https://API.github.com/x", b: "wss://uploads.slack.com" }), ["api.github.com", "*.slack.com"])).toEqual({ ok: true });
    expect(checkEgress(targets({ a: "https://slack.com" }), ["*.slack.com"]).ok).toBe(false);
  });

  it("compares IP literals canonically", () => {
    expect(checkEgress(targets({ a: "http://2130706433/", b: "http://[::ffff:127.0.0.1]/", host: "0x7f.1" }), ["127.0.0.1"])).toEqual({ ok: true });
    expect(checkEgress(targets({ a: "http://[::1]/" }), ["0:0:0:0:0:0:0:1"])).toEqual({ ok: true });
    expect(hostAllowed("127.0.0.1", ["*.0.0.1"])).toBe(false);
  });

  it("denies non-network schemes unless the allowlist names the scheme", () => {
    const file = targets({ path: "file:///etc/passwd" });
    expect(checkEgress(file, ["api.github.com"])).toEqual({
      ok: false,
      offending: ["file:"],
      reason: "scheme(s) of file: not named by the network allowlist (api.github.com)",
    });
    expect(checkEgress(file, ["api.github.com", "file:"])).toEqual({ ok: true });
    expect(checkEgress(file, ["api.github.com"], { allowedSchemes: ["file"] })).toEqual({ ok: true });
  });

  it("still checks the host of a named non-network scheme", () => {
    expect(checkEgress(targets({ u: "ftp://evil.test/x" }), ["ftp:", "api.github.com"])).toMatchObject({ ok: false, offending: ["evil.test"] });
    expect(checkEgress(targets({ u: "ftp://api.github.com/x" }), ["ftp:", "api.github.com"])).toEqual({ ok: true });
  });

  it("reads the way the network allowlist check words it", () => {
    expect(checkEgress(targets({ u: "https://paste.example.net/x", v: "gopher://evil.test/" }), ["api.github.com", "api.slack.com"])).toEqual({
      ok: false,
      offending: ["paste.example.net", "gopher://evil.test"],
      reason:
        "host(s) paste.example.net not on the network allowlist (api.github.com, api.slack.com); scheme(s) of gopher://evil.test not named by the network allowlist (api.github.com, api.slack.com)",
    });
  });

  it("denies every host under an empty allowlist and passes calls that name none", () => {
    expect(checkEgress(targets({ u: "https://api.github.com" }), [])).toMatchObject({ ok: false, reason: "host(s) api.github.com not on the network allowlist (empty)" });
    expect(checkEgress([], [])).toEqual({ ok: true });
  });
});

describe("urlTarget", () => {
  it("reads one URL, e.g. a Streamable HTTP upstream's", () => {
    expect(urlTarget("http://127.0.0.1:8931/mcp")).toEqual({ path: "$", scheme: "http", host: "127.0.0.1", ip: "127.0.0.1", port: 8931 });
    expect(urlTarget("not a url")).toBeUndefined();
  });
});
