import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFiles } from "../../test/helpers/bundles.js";
import { inputPathsOfPolicy } from "./input-paths.js";
import { stagePolicy } from "./stage.js";

const ENTRYPOINT = "mcpgov/decision/result";

/** The input paths `opa`'s parser finds in these modules for the decision entrypoint. */
async function pathsOf(dir: string, modules: Record<string, string>): Promise<unknown> {
  await rm(dir, { recursive: true, force: true });
  await writeFiles(dir, modules);
  return inputPathsOfPolicy(dir, Object.keys(modules), ENTRYPOINT);
}

const decision = (body: string): string => `package mcpgov.decision\n\nimport rego.v1\n\n${body}\n`;

describe("inputPathsOfPolicy (real opa parser)", () => {
  let work: string;
  let n = 0;
  const dir = () => join(work, `case-${n++}`);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mcpgov-input-paths-"));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("keeps the constant part of each reference; a variable or number keeps the value before it whole", async () => {
    const paths = await pathsOf(dir(), {
      "d.rego": decision('result := 1 if {\n\tinput.call.target.name == "x"\n\tinput.labels[k] == "y"\n\tinput.risk_tags[0] == "prod"\n}'),
    });
    expect(paths).toEqual({ call: { target: { name: true } }, labels: true, risk_tags: true });
  });

  it("reads object.get with a constant key (nested, or a key path) as that path", async () => {
    const paths = await pathsOf(dir(), {
      "d.rego": decision('m := object.get(object.get(input, "call", {}), "method", "tools/call")\n\ns := object.get(input, ["labels", "mcp.server"], null)\n\nresult := [m, s]'),
    });
    expect(paths).toEqual({ call: { method: true }, labels: { "mcp.server": true } });
  });

  it("keeps everything for input on its own, object.get with a computed key, and with input as", async () => {
    expect(await pathsOf(dir(), { "d.rego": decision("result := f(input)\n\nf(x) := x.a") })).toBe(true);
    expect(await pathsOf(dir(), { "d.rego": decision('k := "a"\n\nresult := object.get(input, k, 1)') })).toBe(true);
    expect(await pathsOf(dir(), { "d.rego": decision("result if {\n\tdata.mcpgov.x.y with input as {}\n}") })).toBe(true);
    expect(await pathsOf(dir(), { "d.rego": decision("result := json.marshal(input.call)") })).toEqual({ call: true });
  });

  it("keeps an imported input path whole, so reads through the alias are covered", async () => {
    const paths = await pathsOf(dir(), { "d.rego": "package mcpgov.decision\n\nimport rego.v1\n\nimport input.call as c\n\nresult := c.arguments.n\n" });
    expect(paths).toEqual({ call: true });
  });

  it("follows data references from the entrypoint's package, and leaves out packages nothing reaches", async () => {
    const paths = await pathsOf(dir(), {
      "d.rego": decision("result := [h | some h in data.mcpgov.rules[_].hits]"),
      "r.rego": 'package mcpgov.rules.a\n\nimport rego.v1\n\nimport data.mcpgov.lib.h\n\nhits contains 1 if h.write\n',
      "h.rego": 'package mcpgov.lib.h\n\nimport rego.v1\n\nwrite if input.labels["mcp.action"] == "write"\n',
      "o.rego": "package mcpgov.output\n\nimport rego.v1\n\nresult := input\n",
    });
    expect(paths).toEqual({ labels: { "mcp.action": true } });
  });

  it("finds the reference pack's decision reading no tool arguments", async () => {
    const staged = await stagePolicy("policy/reference");
    try {
      const paths = await inputPathsOfPolicy(staged.dir, staged.regoSources, ENTRYPOINT);
      expect(paths).toEqual({
        call: { method: true, target: { name: true }, direction: true, egress: true },
        labels: true,
        risk_tags: true,
        server: { registered: true },
        subject: { scopes: true },
      });
    } finally {
      await staged.cleanup();
    }
  });
});
