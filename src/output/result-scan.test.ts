import { describe, expect, it } from "vitest";
import { BUILTIN_RULES } from "./builtin-rules.js";
import { FINDING_LIMIT_RULE, OVERSIZE_RULE } from "./finding.js";
import { scanOutput } from "./result-scan.js";
import type { ScanRule } from "./scan-rule.js";

const j = (...parts: string[]): string => parts.join("");
const TOKEN = `${j("gh", "p_")}Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe6QuV`;

describe("scanOutput", () => {
  it("locates findings in text items, embedded resources and structuredContent, by index and JSON pointer", () => {
    const result = {
      content: [
        { type: "text", text: `token is ${TOKEN}` },
        { type: "image", data: btoa(TOKEN), mimeType: "image/png" },
        { type: "resource", resource: { uri: "file:///a.env", text: `X=1\nmail=jane.doe@acme-corp.com` } },
      ],
      structuredContent: { users: [{ "e/mail": "omar@globex.io" }] },
    };
    const { findings, error } = scanOutput(result);
    expect(error).toBeUndefined();
    expect(findings.map((f) => [f.type, f.location])).toEqual([
      ["github_token", { kind: "content", index: 0, field: "text", offset: 9, length: TOKEN.length }],
      ["email", { kind: "content", index: 2, field: "resource.text", offset: 9, length: 22 }],
      ["email", { kind: "json", pointer: "/structuredContent/users/0/e~1mail", offset: 0, length: 14 }],
    ]);
  });

  it("uses the JSON key as context for a structured value", () => {
    const { findings } = scanOutput({ content: [], structuredContent: { db: { password: "Maple!2024rocks" } } });
    expect(findings).toMatchObject([{ type: "generic_secret", location: { kind: "json", pointer: "/structuredContent/db/password", offset: 0, length: 15 } }]);
  });

  it("scans any JSON document from its root, and plain text", () => {
    expect(scanOutput({ a: [`${TOKEN}`] }).findings[0]?.location).toEqual({ kind: "json", pointer: "/a/0", offset: 0, length: TOKEN.length });
    expect(scanOutput(`x ${TOKEN}`).findings[0]?.location).toEqual({ kind: "text", offset: 2, length: TOKEN.length });
  });

  it("never keeps a value: at most a 4+4 preview of long values", () => {
    const { findings } = scanOutput(`${TOKEN} ssn 123-45-6789`);
    expect(JSON.stringify(findings)).not.toContain(TOKEN.slice(4, -4));
    expect(findings[0]?.preview).toBe(`${TOKEN.slice(0, 4)}…${TOKEN.slice(-4)}`);
    expect(findings[1]).not.toHaveProperty("preview");
    expect(JSON.stringify(findings)).not.toContain("123-45-6789");
  });

  it("reports an oversize output instead of scanning it", () => {
    const { findings } = scanOutput({ content: [{ type: "text", text: "a".repeat(2000) }] }, { maxBytes: 1000 });
    expect(findings).toEqual([{ type: "oversize", category: "limit", ruleId: OVERSIZE_RULE, confidence: 1, location: { kind: "output" } }]);
  });

  it("counts UTF-8 bytes, not characters, against the limit", () => {
    expect(scanOutput("é".repeat(600), { maxBytes: 1000 }).findings[0]?.type).toBe("oversize");
    expect(scanOutput("e".repeat(600), { maxBytes: 1000 }).findings).toEqual([]);
  });

  it("stops at the finding limit with a finding that says so", () => {
    const { findings } = scanOutput("jane.doe@acme-corp.com ".repeat(50), { maxFindings: 10 });
    expect(findings).toHaveLength(11);
    expect(findings[10]).toMatchObject({ type: "finding_limit", ruleId: FINDING_LIMIT_RULE });
  });

  it("returns a scanner fault as an error instead of throwing", () => {
    const broken: ScanRule = { ...BUILTIN_RULES[0]!, id: "broken", validators: [() => { throw new Error("boom"); }] };
    const { error } = scanOutput(j("AK", "IA") + "Q3ZKX7MHB2RL5TNV", { rules: [broken] });
    expect(error?.code).toBe("output_scan_failed");
    expect(error?.message).toContain("boom");
  });

  it("survives a deeply nested document", () => {
    let value: unknown = "jane.doe@acme-corp.com";
    for (let i = 0; i < 100_000; i++) value = [value];
    const { findings, error } = scanOutput(value);
    expect(error).toBeUndefined();
    expect(findings).toHaveLength(1);
  });
});

describe("hostile input", () => {
  // Several megabytes each: a backtracking pattern would take minutes; the test timeout is the assertion.
  const MB = 1 << 20;
  const fill = (unit: string, bytes: number): string => unit.repeat(Math.ceil(bytes / unit.length));
  it.each([
    ["a", "a"],
    ["AKIA", "AKIA"],
    ["@ and .", "@."],
    ["a@a.", "a@a."],
    ["digits", "1234567890"],
    ["digits and spaces", "1234 "],
    ["BEGIN without END", `${j("-----BEGIN", " RSA PRIVATE KEY-----")}\nMIIE`],
    ["base64", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIzNDU2Nzg5K/=="],
    ["eyJ", "eyJhbGciOi."],
    ["password=", "password="],
    ["scheme://user:", "a://u:"],
    ["hex and colons", "a:b:"],
    ["+1 (", "+1 ("],
    ["sk-", "sk-"],
    ["backslashes", "\\"],
    ["table separators", "-+-"],
    ["version-column tables", " build | n\n-------+---\n 5.3.4.76 | 1\n"],
  ])("scans 5 MB of %s", (_name, unit) => {
    const { error } = scanOutput(fill(unit, 5 * MB));
    expect(error).toBeUndefined();
  });
});
