import { describe, expect, it } from "vitest";
import { addInputPath, type InputPaths, InputPathsSchema, projectInput } from "./input-projection.js";

describe("projectInput", () => {
  const envelope = {
    call: { method: "tools/call", arguments: { body: "long text" }, target: { name: "create_issue", kind: "tool" } },
    labels: { "mcp.action": "write" },
    risk_tags: ["prod"],
  };

  it("keeps only the named paths, each value whole", () => {
    expect(projectInput(envelope, { call: { method: true, target: { name: true } }, labels: true })).toEqual({
      call: { method: "tools/call", target: { name: "create_issue" } },
      labels: { "mcp.action": "write" },
    });
  });

  it("keeps everything for true, and arrays and scalars whole under a narrower tree", () => {
    expect(projectInput(envelope, true)).toBe(envelope);
    expect(projectInput(envelope, { risk_tags: { "0": true } })).toEqual({ risk_tags: ["prod"] });
    expect(projectInput({ call: "not an object" }, { call: { method: true } })).toEqual({ call: "not an object" });
  });

  it("leaves out paths the value does not have, and keeps a key named __proto__ as a key", () => {
    expect(projectInput(envelope, { subject: { scopes: true } })).toEqual({});
    const odd = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    expect(JSON.stringify(projectInput(odd, { ["__proto__"]: true }))).toBe('{"__proto__":{"x":1}}');
  });
});

describe("addInputPath", () => {
  it("merges paths; a whole value absorbs narrower paths under it", () => {
    let tree: InputPaths = {};
    tree = addInputPath(tree, ["call", "method"]);
    tree = addInputPath(tree, ["call", "target", "name"]);
    expect(tree).toEqual({ call: { method: true, target: { name: true } } });
    expect(addInputPath(tree, ["call"])).toEqual({ call: true });
    expect(addInputPath(addInputPath(tree, ["call"]), ["call", "arguments"])).toEqual({ call: true });
    expect(addInputPath(tree, [])).toBe(true);
  });

  it("is what the schema accepts, and nothing else", () => {
    expect(InputPathsSchema.safeParse({ a: { b: true }, c: true }).success).toBe(true);
    expect(InputPathsSchema.safeParse(true).success).toBe(true);
    expect(InputPathsSchema.safeParse({ a: false }).success).toBe(false);
    expect(InputPathsSchema.safeParse({ a: "all" }).success).toBe(false);
  });
});
