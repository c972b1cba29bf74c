import { describe, expect, it } from "vitest";
import { hostAllowed, hostsInArguments, hostsOffList } from "./network.js";

describe("hostsInArguments", () => {
  it("finds hosts in URL arguments at any depth", () => {
    expect(
      hostsInArguments({ url: "https://API.github.com/repos/x", nested: { list: ["wss://evil.test:8443/socket", 3] } }),
    ).toEqual(["api.github.com", "evil.test"]);
  });

  it("reads plain host names only under host-like keys", () => {
    expect(hostsInArguments({ host: "db.internal:5432", title: "example.com is great" })).toEqual(["db.internal"]);
  });

  it("finds URLs inside free text", () => {
    expect(hostsInArguments({ body: "please fetch http://169.254.169.254/latest/meta-data now" })).toEqual(["169.254.169.254"]);
  });

  it("finds IPv6 literals", () => {
    expect(hostsInArguments({ endpoint: "http://[::1]:8080/" })).toEqual(["::1"]);
  });

  it("ignores values that are not addresses", () => {
    expect(hostsInArguments({ path: "/tmp/file.txt", count: 3, ok: true })).toEqual([]);
  });
});

describe("hostAllowed", () => {
  it("matches exactly and by wildcard subdomain, not the apex", () => {
    expect(hostAllowed("api.github.com", ["api.github.com"])).toBe(true);
    expect(hostAllowed("API.GitHub.com.", ["api.github.com"])).toBe(true);
    expect(hostAllowed("uploads.github.com", ["*.github.com"])).toBe(true);
    expect(hostAllowed("github.com", ["*.github.com"])).toBe(false);
    expect(hostAllowed("evilgithub.com", ["*.github.com"])).toBe(false);
    expect(hostAllowed("api.github.com.evil.test", ["api.github.com"])).toBe(false);
  });

  it("lists the hosts that are off the list", () => {
    expect(hostsOffList(["api.github.com", "evil.test"], ["api.github.com"])).toEqual(["evil.test"]);
  });
});

describe("hostsInArguments over the egress extractor", () => {
  it("sees the forms Node's URL parser resolves to a host", () => {
    expect(
      hostsInArguments({ a: "//evil.test/x", b: "http:\\\\evil2.test\\x", c: "http://api.github.com@evil3.test/", d: "http://[::ffff:a9fe:a9fe]/", host: "2130706433" }),
    ).toEqual(["127.0.0.1", "169.254.169.254", "evil.test", "evil2.test", "evil3.test"]);
    expect(hostsOffList(hostsInArguments({ u: "http://0x7f.1/" }), ["api.github.com"])).toEqual(["127.0.0.1"]);
  });
});
