import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const j = (...parts: string[]): string => parts.join("");
const TOKEN = `${j("gh", "p_")}Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe6QuV`;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcpgov-scan-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("mcpgov scan", () => {
  it("prints findings with masked values and a summary, exit 0", async () => {
    const file = join(dir, "app.env");
    await writeFile(file, `GITHUB_TOKEN=${TOKEN}\nOWNER=jane.doe@acme-corp.com\nPORT=8080\n`);
    const { code, stdout } = await runCli(["scan", file]);
    expect(code).toBe(0);
    expect(stdout).toContain("2 finding(s)");
    expect(stdout).toMatch(/secret +github_token +0\.97 +offset 13 length 40 +secret\.github-token +ghp_…6QuV/);
    expect(stdout).toContain("summary: 1 secret, 1 pii (email 1, github_token 1)");
    expect(stdout).not.toContain(TOKEN);
    expect(stdout).not.toContain("jane.doe");
  });

  it("reads a tool result from stdin and prints JSON", async () => {
    const result = { content: [{ type: "text", text: "ok" }], structuredContent: { user: { email: "jane.doe@acme-corp.com" } } };
    const { code, stdout } = await runCli(["scan", "-", "--format", "json"], { stdin: JSON.stringify(result) });
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { source: string; findings: Array<{ type: string; location: unknown }>; summary: { total: number } };
    expect(report.source).toBe("<stdin>");
    expect(report.findings).toMatchObject([{ type: "email", location: { kind: "json", pointer: "/structuredContent/user/email", offset: 0, length: 22 } }]);
    expect(report.summary.total).toBe(1);
  });

  it("--redact prints the redacted document to stdout and the findings to stderr", async () => {
    const result = { content: [{ type: "text", text: `{"token":"${TOKEN}"}` }], structuredContent: { token: TOKEN } };
    const { code, stdout, stderr } = await runCli(["scan", "--redact"], { stdin: JSON.stringify(result) });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ content: [{ type: "text", text: '{"token":"[REDACTED:github_token]"}' }], structuredContent: { token: "[REDACTED:github_token]" } });
    expect(stderr).toContain("2 finding(s)");
  });

  it("prints no findings for clean text", async () => {
    const { code, stdout } = await runCli(["scan", "-"], { stdin: "id 273390f4-ea23-46f8-8c9f-f8bd6dc5a790 version 1.2.3\n" });
    expect(code).toBe(0);
    expect(stdout.trim()).toBe("<stdin>: no findings");
  });

  it("adds operator rules from --rules", async () => {
    const rules = join(dir, "rules.yaml");
    await writeFile(rules, 'rules:\n  - id: acme.token\n    type: acme_token\n    regex: "acme_[A-Za-z0-9]{16}"\n');
    const { code, stdout } = await runCli(["scan", "-", "--rules", rules], { stdin: "key acme_Zq8R3kTn5WmX2pLv" });
    expect(code).toBe(0);
    expect(stdout).toContain("acme_token");
  });

  it("fails on a rule file that could backtrack", async () => {
    const rules = join(dir, "bad.yaml");
    await writeFile(rules, 'rules:\n  - {id: bad, type: t, regex: "(a+)+$"}\n');
    const { code, stderr } = await runCli(["scan", "-", "--rules", rules], { stdin: "x" });
    expect(code).toBe(1);
    expect(stderr).toContain("unbounded quantifier");
  });

  it("reports an oversize document and refuses to print it with --redact", async () => {
    const stdin = "a".repeat(2000);
    expect((await runCli(["scan", "-", "--max-bytes", "1000"], { stdin })).stdout).toContain("oversize");
    const { code, stdout, stderr } = await runCli(["scan", "-", "--max-bytes", "1000", "--redact"], { stdin });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("refusing to print");
  });
});
