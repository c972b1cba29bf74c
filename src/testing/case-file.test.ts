import { describe, expect, it } from "vitest";
import { parseCaseFile } from "./case-file.js";

const messages = (text: string, file = "c.cases.yaml") => parseCaseFile(text, file).diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`);

describe("parseCaseFile", () => {
  it("reads YAML cases with their lines", () => {
    const parsed = parseCaseFile(
      ["cases:", "  - name: one", "    envelope: {version: v1}", "    expect: {decision: ALLOW}", "  - name: two", "    envelope_file: x.jsonl", "    call_id: c-1", "    expect:", "      decision: DENY", "      rules: [r]"].join("\n"),
      "c.cases.yaml",
    );
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.cases.map((c) => [c.name, c.line])).toEqual([
      ["one", 2],
      ["two", 5],
    ]);
    expect(parsed.cases[1]!.envelope).toEqual({ kind: "file", path: "x.jsonl", callId: "c-1", fieldLine: 6 });
  });

  it("names file, line and field for a bad value, a missing field and an unknown field", () => {
    const text = ["cases:", "  - name: one", "    envelope: {}", "    expected: {decision: ALLOW}", "  - name: two", "    envelope: {}", "    expect:", "      decision: MAYBE"].join("\n");
    expect(messages(text)).toEqual([
      "c.cases.yaml:2: cases[0].expect: required",
      "c.cases.yaml:4: cases[0].expected: unknown field",
      expect.stringMatching(/^c\.cases\.yaml:8: cases\[1\]\.expect\.decision: Invalid option: expected one of "ALLOW"/),
    ]);
  });

  it("computes lines in JSON files too", () => {
    const text = '{\n  "cases": [\n    {\n      "name": "x",\n      "envelope": {},\n      "expect": {"decision": "NO"}\n    }\n  ]\n}\n';
    expect(messages(text, "c.cases.json")).toEqual([expect.stringMatching(/^c\.cases\.json:6: cases\[0\]\.expect\.decision: Invalid option/)]);
  });

  it("reports JSON and YAML syntax errors at their line", () => {
    expect(messages('{\n "cases": [,]\n}', "c.cases.json")).toEqual([expect.stringMatching(/^c\.cases\.json:2: invalid JSON/)]);
    expect(messages("cases:\n  - name: x\n   bad: [\n")[0]).toMatch(/^c\.cases\.yaml:3: invalid YAML/);
  });

  it("wants exactly one envelope source and unique names", () => {
    const both = ["cases:", "  - name: a", "    envelope: {}", "    envelope_file: a.json", "    expect: {decision: ALLOW}"].join("\n");
    expect(messages(both)).toEqual(["c.cases.yaml:3: cases[0].envelope: give exactly one of envelope or envelope_file"]);
    const stray = ["cases:", "  - name: a", "    envelope: {}", "    line: 2", "    expect: {decision: ALLOW}"].join("\n");
    expect(messages(stray)).toEqual(["c.cases.yaml:4: cases[0].line: only applies with envelope_file"]);
    const twice = ["cases:", "  - name: a", "    envelope: {}", "    expect: {decision: ALLOW}", "  - name: a", "    envelope: {}", "    expect: {decision: DENY}"].join("\n");
    expect(messages(twice)).toEqual(["c.cases.yaml:5: cases[1].name: duplicate case name (first used on line 2)"]);
  });

  it("refuses a file without cases", () => {
    expect(messages("")).toEqual(["c.cases.yaml:1: cases: required"]);
    expect(messages("cases: []\n")).toEqual(["c.cases.yaml:1: cases: a case file lists at least one case"]);
  });
});
