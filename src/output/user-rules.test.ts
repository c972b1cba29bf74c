import { describe, expect, it } from "vitest";
import { BUILTIN_RULES } from "./builtin-rules.js";
import { linearRegexProblem } from "./linear-regex.js";
import { scanOutput } from "./result-scan.js";
import { literalPrefix, mergeRules, parseUserRules } from "./user-rules.js";

describe("parseUserRules", () => {
  it("compiles a YAML rule file into scan rules that find their type", () => {
    const parsed = parseUserRules(
      ["rules:", "  - id: acme.internal-token", "    type: acme_token", '    regex: "acme_[A-Za-z0-9]{32}"', "    keywords: [acme]", "    min_entropy: 3.5"].join("\n"),
      "rules.yaml",
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
    const rules = mergeRules(BUILTIN_RULES, parsed.rules);
    const token = "acme_" + "Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe";
    expect(scanOutput(`ACME_TOKEN=${token}`, { rules }).findings).toMatchObject([{ type: "acme_token", ruleId: "acme.internal-token", confidence: 0.8 }]);
    // The keyword must come first; low-entropy values are dropped.
    expect(scanOutput(`x=${token}`, { rules }).findings).toEqual([]);
    expect(scanOutput(`acme=acme_${"ab".repeat(16)}`, { rules }).findings).toEqual([]);
  });

  it("reads JSON too", () => {
    expect(parseUserRules('{"rules":[{"id":"a","type":"b","regex":"x{2,8}"}]}', "r.json").ok).toBe(true);
  });

  it("reports schema errors by field, and refuses unknown keys", () => {
    const parsed = parseUserRules("rules:\n  - id: a\n    type: b\n    regexp: x\n", "r.yaml");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.diagnostics.map((d) => d.message).join("\n")).toMatch(/rules\[0\]/);
  });

  it("refuses regexes that could backtrack and duplicate ids", () => {
    const parsed = parseUserRules('rules:\n  - {id: a, type: b, regex: "(a+)+b"}\n  - {id: a, type: b, regex: "x{1,4}"}\n', "r.yaml");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/rules\[0\]\.regex: unbounded/), expect.stringMatching(/rules\[1\]\.id: duplicate/)]);
  });

  it("lets an operator rule replace a built-in one by id", () => {
    const parsed = parseUserRules('rules:\n  - {id: pii.email, type: email, category: pii, regex: "@nomatch{1,2}"}\n', "r.yaml");
    if (!parsed.ok) throw new Error("expected ok");
    const rules = mergeRules(BUILTIN_RULES, parsed.rules);
    expect(rules.filter((r) => r.id === "pii.email")).toHaveLength(1);
    expect(scanOutput("jane.doe@acme-corp.com", { rules }).findings).toEqual([]);
  });
});

describe("linearRegexProblem", () => {
  it.each(["acme_[A-Za-z0-9]{32}", "(?:foo|bar)?baz\\d{2,6}", "(?<![A-Z])[A-Z]{2}\\d{2}", "[+*]{1,3}", "(?:ab){2,4}", "\\p{L}{1,10}"])("accepts %s", (source) => {
    expect(linearRegexProblem(source)).toBeUndefined();
  });

  it.each([
    ["a+", /unbounded/],
    ["a*b", /unbounded/],
    ["a{2,}", /unbounded/],
    ["(a{1,5}){1,5}", /repeated group/],
    ["(a|aa){1,9}", /repeated group/],
    ["(\\w)\\1", /backreferences/],
    ["a{1,5000}", /above/],
    ["a?", /empty string/],
    ["(a", /unbalanced|Unterminated/],
  ])("refuses %s", (source, problem) => {
    expect(linearRegexProblem(source)).toMatch(problem);
  });
});

describe("prefilters of operator rules", () => {
  it.each([
    ["acme_[A-Za-z0-9]{32}", "acme_"],
    ["(?<![A-Za-z0-9])acme_[A-Za-z0-9]{32}", "acme_"],
    ["(?<=key=)xq[0-9]{8}", "xq"],
    ["tok\\-[a-f0-9]{16}", "tok-"],
    ["abcd?e[0-9]{4}", "abc"],
    ["abc{0,2}[0-9]{4}", "ab"],
    ["abx+y[0-9]{4}", "abx"],
    ["ab{2}c[0-9]{4}", "ab"],
  ])("derives the literal start of %s", (regex, prefix) => {
    expect(literalPrefix(regex)).toBe(prefix);
  });

  it.each([["a|bc"], ["(?:acme|corp)_[0-9]{4}"], ["[a-z]{3}_x{2,4}"], ["\\bacme_[0-9]{4}"], ["a?bc[0-9]{4}"], ["x[0-9]{4}"]])("derives none from %s", (regex) => {
    expect(literalPrefix(regex)).toBeUndefined();
  });

  it("uses a declared prefilter, a derived one, or none, and still finds matches", () => {
    const file = [
      "rules:",
      "  - { id: a.declared, type: a_token, regex: 'tok_[0-9a-f]{12}', prefilter: ['tok_'] }",
      "  - { id: a.derived, type: b_token, regex: 'corp-[0-9a-f]{12}' }",
      "  - { id: a.none, type: c_token, regex: '[0-9a-f]{12}-zz', case_insensitive: true }",
    ].join("\n");
    const parsed = parseUserRules(file, "rules.yaml");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
    expect(parsed.rules.map((r) => r.prefilter)).toEqual([["tok_"], ["corp-"], undefined]);
    const found = (text: string) => scanOutput(text, { rules: parsed.rules }).findings.map((f) => f.type);
    expect(found("x tok_9f3a1c7e2b4d y")).toEqual(["a_token"]);
    expect(found("x corp-9f3a1c7e2b4d y")).toEqual(["b_token"]);
    expect(found("x 9f3a1c7e2b4d-ZZ y")).toEqual(["c_token"]);
    expect(found("x 9f3a1c7e2b4d y")).toEqual([]);
  });

  it("refuses a bad prefilter by field", () => {
    const parsed = parseUserRules("rules:\n  - { id: a, type: b, regex: 'x{2,8}', prefilter: [] }\n", "r.yaml");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.diagnostics[0]!.message).toMatch(/rules\[0\]\.prefilter/);
  });
});
