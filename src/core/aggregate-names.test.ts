import { describe, expect, it } from "vitest";
import { namespaceName, namespaceUri, parseNamespacedName, parseNamespacedUri } from "./aggregate-names.js";

describe("aggregated tool and prompt names", () => {
  it("round-trips, keeping `__` and any other characters inside the name", () => {
    for (const [server, name] of [
      ["filesystem", "read_file"],
      ["a", "__x__"],
      ["my-server-2", "x.y/z é"],
      ["memory", "_"],
    ] as const) {
      expect(parseNamespacedName(namespaceName(server, name))).toEqual({ server, name });
    }
    expect(namespaceName("filesystem", "read_file")).toBe("filesystem__read_file");
  });

  it("maps distinct (server, name) pairs to distinct names, including pairs that look alike once joined", () => {
    const pairs: Array<[string, string]> = [
      ["a", "b__c"],
      ["a-b", "c"],
      ["a", "_b"],
      ["a", "b"],
      ["ab", "c"],
      ["a", "bc"],
      ["everything", "echo"],
      ["rug", "echo"],
    ];
    const names = pairs.map(([s, n]) => namespaceName(s, n));
    expect(new Set(names).size).toBe(pairs.length);
  });

  it("rejects names that are not server-qualified", () => {
    for (const bad of ["read_file", "__x", "Filesystem__x", "fs__", "fs_x", "fs.x__y", ""]) expect(parseNamespacedName(bad), bad).toBeUndefined();
  });
});

describe("aggregated resource URIs", () => {
  it("round-trips URIs and URI templates unchanged", () => {
    for (const [server, uri] of [
      ["everything", "demo://resource/static/document/architecture.md"],
      ["everything", "demo://resource/dynamic/text/{resourceId}"],
      ["fs", "file:///tmp/a b?c=1#d"],
      ["x", "mcpgov://y/z"],
    ] as const) {
      expect(parseNamespacedUri(namespaceUri(server, uri))).toEqual({ server, name: uri });
    }
    expect(namespaceUri("everything", "demo://a/{id}")).toBe("mcpgov://everything/demo://a/{id}");
  });

  it("rejects URIs that are not server-qualified", () => {
    for (const bad of ["demo://a", "mcpgov://", "mcpgov:///x", "mcpgov://Ev/x", "mcpgov://ev/", "mcpgov://e_v/x"]) expect(parseNamespacedUri(bad), bad).toBeUndefined();
  });
});
