import { appendFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../src/core/envelope.js";
import type { DiffReport, Transition } from "../src/diff/diff.js";
import { transitionLabel } from "../src/diff/diff.js";
import { buildBundle } from "../src/toolchain/build.js";
import { generateCorpus, writeCorpusFile, writeCorpusFolder } from "./fixtures/corpus.js";
import { referencePolicy, tempDir } from "./helpers/bundles.js";
import { repoRoot, runCli } from "./helpers/cli.js";

const v2Policy = join(repoRoot, "test", "fixtures", "policy-v2");
const CORPUS_SIZE = 10_000;
/** The other tests look at shape, not scale: a slice keeps the suite quick. */
const SMALL_SIZE = 2_000;

let dir: string;
let corpus: Envelope[];
let corpusFile: string;
let small: Envelope[];
let smallFile: string;
let refBundle: string;
let v2Bundle: string;

beforeAll(async () => {
  dir = await tempDir("mcpgov-diff-test-");
  corpus = generateCorpus(CORPUS_SIZE, 7);
  corpusFile = await writeCorpusFile(join(dir, "corpus.jsonl"), corpus);
  small = corpus.slice(0, SMALL_SIZE);
  smallFile = await writeCorpusFile(join(dir, "small.jsonl"), small);
  [refBundle, v2Bundle] = await Promise.all([
    buildBundle({ policyDir: referencePolicy, output: join(dir, "ref.tar.gz"), revision: "ref" }).then((b) => b.output),
    buildBundle({ policyDir: v2Policy, output: join(dir, "v2.tar.gz"), revision: "v2" }).then((b) => b.output),
  ]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const BLOCKED_IN_V2 = new Set(["export_all", "shell_exec"]);

/**
 * What policy-v2 changes for one envelope, worked out from its attributes
 * alone (the rules of both policies read as prose), not by evaluating them.
 */
function expectedChange(e: Envelope): string | undefined {
  const base = baseKind(e);
  if (BLOCKED_IN_V2.has(e.call.tool ?? "")) return base === "DENY" ? "DENY (rules changed)" : `${base} → DENY`;
  if (!e.server.registered) return undefined;
  if (e.labels["mcp.action"] === "read") return e.server.risk_tags.includes("pii") ? "ALLOW → REQUIRE_APPROVAL" : undefined;
  // Of the write rules only the non-prod runtime limit changed; it shows wherever that rule hits.
  return e.risk_tags.includes("non_prod") ? `${base} (constraints changed)` : undefined;
}

/** The reference policy's decision kind. */
function baseKind(e: Envelope): string {
  if (!e.server.registered) return "DENY";
  if (e.labels["mcp.action"] === "read") return "ALLOW";
  if (e.labels["mcp.action"] === "destructive" || e.risk_tags.includes("prod")) return "REQUIRE_APPROVAL";
  return e.risk_tags.includes("non_prod") ? "ALLOW_WITH_CONSTRAINTS" : "DENY";
}

function expectedCounts(envelopes: readonly Envelope[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of envelopes) {
    const label = expectedChange(e);
    if (label) counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return counts;
}

const byLabel = (report: DiffReport): Map<string, Transition> => new Map(report.transitions.map((t) => [transitionLabel(t), t]));

async function diffJson(args: string[]): Promise<{ code: number; report: DiffReport; stderr: string }> {
  const result = await runCli(["diff", ...args, "--format", "json"]);
  expect(result.stderr).not.toContain("internal error");
  return { code: result.code, report: JSON.parse(result.stdout) as DiffReport, stderr: result.stderr };
}

describe("mcpgov diff: reference policy → policy-v2", () => {
  it(`reports exactly the transitions the changes imply over ${CORPUS_SIZE} envelopes (policy folders built on the fly)`, async () => {
    // A temp folder of its own (runCli runs in this process, whose files run alone in it): other test
    // files run diffs and builds at the same time in the shared one.
    const privateTmp = join(dir, "tmp");
    await mkdir(privateTmp);
    const shared = process.env["TMPDIR"];
    process.env["TMPDIR"] = privateTmp;
    let ran: Awaited<ReturnType<typeof diffJson>>;
    try {
      expect(tmpdir()).toBe(privateTmp);
      ran = await diffJson(["--base", referencePolicy, "--head", v2Policy, "--envelopes", corpusFile]);
    } finally {
      if (shared === undefined) delete process.env["TMPDIR"];
      else process.env["TMPDIR"] = shared;
    }
    const { code, report } = ran;
    expect(code).toBe(0);
    expect(await readdir(privateTmp), "the policy folders built on the fly leave nothing behind").toEqual([]);

    const expected = expectedCounts(corpus);
    // Every change the policy makes must be present in a corpus this size.
    expect([...expected.keys()].sort()).toEqual([
      "ALLOW → REQUIRE_APPROVAL",
      "ALLOW_WITH_CONSTRAINTS (constraints changed)",
      "DENY (rules changed)",
      "REQUIRE_APPROVAL (constraints changed)",
      "REQUIRE_APPROVAL → DENY",
    ]);
    const actual = new Map([...byLabel(report)].map(([label, t]) => [label, t.count]));
    expect(actual).toEqual(expected);
    const changed = [...expected.values()].reduce((s, n) => s + n, 0);
    expect(report).toMatchObject({ envelopes: CORPUS_SIZE, changed, unchanged: CORPUS_SIZE - changed, skipped: 0 });
    expect(report.base).toMatchObject({ source: referencePolicy, built: true, revision: "" });
    expect(report.base.hash).not.toBe(report.head.hash);

    const t = byLabel(report);
    const n = (label: string) => expected.get(label)!;
    expect(t.get("ALLOW → REQUIRE_APPROVAL")!.rules).toEqual({
      base: [{ rules: ["allow-read-registered-server"], count: n("ALLOW → REQUIRE_APPROVAL") }],
      head: [{ rules: ["require-approval-pii-read"], count: n("ALLOW → REQUIRE_APPROVAL") }],
    });
    expect(t.get("ALLOW → REQUIRE_APPROVAL")!.constraints).toEqual([
      { key: "approval_timeout_sec", after: 3600, count: n("ALLOW → REQUIRE_APPROVAL") },
      { key: "approver_group", after: "privacy", count: n("ALLOW → REQUIRE_APPROVAL") },
    ]);
    const awc = t.get("ALLOW_WITH_CONSTRAINTS (constraints changed)")!;
    expect(awc.changed).toEqual({ decision: 0, rules: 0, constraints: awc.count });
    expect(awc.constraints).toEqual([{ key: "max_runtime_sec", before: 30, after: 15, count: awc.count }]);
    expect(t.get("REQUIRE_APPROVAL → DENY")!.rules.head).toEqual([{ rules: ["deny-blocked-tool"], count: n("REQUIRE_APPROVAL → DENY") }]);
    expect(t.get("DENY (rules changed)")!.rules.head).toEqual([
      { rules: ["deny-blocked-tool", "deny-unregistered-server"], count: n("DENY (rules changed)") },
    ]);

    // Examples: at most three, named by metadata, each really of its transition.
    const byId = new Map(corpus.map((e) => [e.call.id, e]));
    for (const [label, transition] of t) {
      expect(transition.examples).toHaveLength(3);
      for (const example of transition.examples) {
        const e = byId.get(example.call_id)!;
        expect(expectedChange(e)).toBe(label);
        expect(example).toEqual({ call_id: e.call.id, server: e.call.server, tool: e.call.tool, action: e.labels["mcp.action"], file: corpusFile, line: corpus.indexOf(e) + 1 });
      }
    }
  });

  it("never prints tool arguments, in any format", async () => {
    for (const format of ["pretty", "json", "markdown"]) {
      const result = await runCli(["diff", "--base", refBundle, "--head", v2Bundle, "-e", smallFile, "--format", format, "--examples", "50"]);
      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(/cus_\d|arguments|@example\.test|make (alpha|bravo|delta)/);
    }
  });

  it("finds nothing changed between identical bundles, and exits 0", async () => {
    const { code, report } = await diffJson(["--base", refBundle, "--head", refBundle, "--envelopes", smallFile]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ envelopes: SMALL_SIZE, unchanged: SMALL_SIZE, changed: 0, transitions: [] });
    expect(report.totals.base).toEqual(report.totals.head);
    const pretty = await runCli(["diff", "--base", refBundle, "--head", refBundle, "--envelopes", smallFile]);
    expect(pretty.stdout).toMatch(/^unchanged\s+2000$/m);
    expect(pretty.stdout).toContain("no decision changed");
  });
});

describe("mcpgov diff --fail-on", () => {
  const diff = (base: string, head: string, ...failOn: string[]) =>
    runCli(["diff", "--base", base, "--head", head, "-e", smallFile, "--format", "json", "--fail-on", ...failOn]);

  it("passes when nothing becomes ALLOW", async () => {
    const result = await diff(refBundle, v2Bundle, "*->ALLOW");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).fail_on).toEqual({ patterns: ["*->ALLOW"], matched: [], failed: false });
  });

  it("exits 2 and names the transition when something becomes ALLOW", async () => {
    const result = await diff(v2Bundle, refBundle, "*->ALLOW");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--fail-on \*->ALLOW matched REQUIRE_APPROVAL → ALLOW \(\d+\)/);
    expect(JSON.parse(result.stdout).fail_on.failed).toBe(true);
  });

  it("takes several patterns, the → arrow and lower case", async () => {
    const result = await diff(refBundle, v2Bundle, "deny→allow", "REQUIRE_APPROVAL->*,ALLOW_WITH_CONSTRAINTS->ALLOW_WITH_CONSTRAINTS");
    expect(result.code).toBe(2);
    const matched = JSON.parse(result.stdout).fail_on.matched.map((m: { transition: string }) => m.transition);
    expect(matched).toEqual(["REQUIRE_APPROVAL → DENY", "ALLOW_WITH_CONSTRAINTS (constraints changed)"]);
  });

  it("refuses an unknown decision name as a usage error, before building anything", async () => {
    const result = await runCli(["diff", "--base", "nowhere", "--head", "nowhere", "-e", smallFile, "--fail-on", "DENY->ALOW"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown decision "ALOW"');
    const noArrow = await runCli(["diff", "--base", "nowhere", "--head", "nowhere", "-e", smallFile, "--fail-on", "ALLOW"]);
    expect(noArrow.code).toBe(1);
    expect(noArrow.stderr).toContain("expected FROM->TO");
  });
});

describe("mcpgov diff formats", () => {
  it("renders a pull-request comment in markdown", async () => {
    const result = await runCli(["diff", "--base", refBundle, "--head", v2Bundle, "-e", smallFile, "--format", "markdown", "--fail-on", "*->ALLOW"]);
    expect(result.code).toBe(0);
    const md = result.stdout;
    expect(md).toMatch(/^### mcpgov policy diff$/m);
    expect(md).toContain("Gate passed: no transition matches `*->ALLOW`.");
    expect(md).toMatch(/^\| envelopes \| 2000 \|$/m);
    expect(md).toMatch(/^\| base \| `[0-9a-f]{12}` revision `ref`, `.*ref\.tar\.gz` \|$/m);
    expect(md).toMatch(/^\| transition \| count \| changed \| rules before \| rules after \|$/m);
    const expected = expectedCounts(small);
    expect(md).toContain(`| ALLOW → REQUIRE_APPROVAL | ${expected.get("ALLOW → REQUIRE_APPROVAL")} | decision, rules, constraints | \`allow-read-registered-server\` | \`require-approval-pii-read\` |`);
    expect(md).toContain(`<details><summary>ALLOW_WITH_CONSTRAINTS (constraints changed): ${expected.get("ALLOW_WITH_CONSTRAINTS (constraints changed)")}</summary>`);
    expect(md).toMatch(/^\| `max_runtime_sec` \| 30 \| 15 \| \d+ \|$/m);
    expect(md.match(/<details>/g)).toHaveLength(5);
    expect(md.match(/<\/details>/g)).toHaveLength(5);
  });

  it("renders a readable terminal report", async () => {
    const result = await runCli(["diff", "--base", refBundle, "--head", v2Bundle, "-e", smallFile, "--examples", "1"]);
    expect(result.stdout).toMatch(/^ALLOW → REQUIRE_APPROVAL: \d+ {3}\(changed: decision, rules, constraints\)$/m);
    expect(result.stdout).toMatch(/^ {18}\s*\d+ {2}max_runtime_sec: 30 → 15$/m);
    expect(result.stdout).toMatch(/^ {6}c-7-\d{6} {2}crm\/\w+ \(read\) {2}.*small\.jsonl:\d+$/m);
  });
});

describe("mcpgov diff input", () => {
  it("stops at a malformed line, naming file and line, and exits 1", async () => {
    const bad = join(dir, "bad.jsonl");
    await writeCorpusFile(bad, corpus.slice(0, 5));
    await appendFile(bad, '{"version": "v1", "call": {"token": "ghp_secret"\n');
    await appendFile(bad, JSON.stringify(corpus[5]) + "\n");
    const result = await runCli(["diff", "--base", refBundle, "--head", v2Bundle, "-e", bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}:6: invalid JSON`);
    expect(result.stderr).toContain("--skip-invalid");
    expect(result.stderr).not.toContain("ghp_secret");
    expect(result.stdout).toBe("");
  });

  it("stops at a line that is JSON but not an envelope", async () => {
    const bad = join(dir, "not-envelope.jsonl");
    await writeFile(bad, `${JSON.stringify(corpus[0])}\n\n${JSON.stringify({ version: "v1", call: { id: 1 } })}\n`);
    const result = await runCli(["diff", "--base", refBundle, "--head", v2Bundle, "-e", bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:3: not a v1 or v2 envelope: call\\.id:`));
  });

  it("counts bad lines as skipped with --skip-invalid", async () => {
    const bad = join(dir, "skip.jsonl");
    await writeFile(bad, `${JSON.stringify(corpus[0])}\nnot json\n${JSON.stringify(corpus[1])}\n[1]\n`);
    const { code, report, stderr } = await diffJson(["--base", refBundle, "--head", v2Bundle, "-e", bad, "--skip-invalid"]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ envelopes: 2, skipped: 2 });
    expect(report.skipped_lines.map((s) => s.line)).toEqual([2, 4]);
    expect(stderr).toContain("skipped 2 invalid line(s)");
  });

  it("reads every .jsonl file of a folder, in name order", async () => {
    const folder = join(dir, "corpus-folder");
    await writeCorpusFolder(folder, small, 4);
    await writeFile(join(folder, "README.md"), "not a corpus file\n");
    const fromFolder = await diffJson(["--base", refBundle, "--head", v2Bundle, "-e", folder]);
    const fromFile = await diffJson(["--base", refBundle, "--head", v2Bundle, "-e", smallFile]);
    expect(fromFolder.code).toBe(0);
    expect(fromFolder.report.envelopes).toBe(SMALL_SIZE);
    const counts = (r: DiffReport) => r.transitions.map((t) => [transitionLabel(t), t.count]);
    expect(counts(fromFolder.report)).toEqual(counts(fromFile.report));
    const first = fromFolder.report.transitions[0]!.examples[0]!;
    expect(first.file).toBe(join(folder, "part-01.jsonl"));
  });

  it("reports a missing corpus or bundle as an error", async () => {
    const missing = await runCli(["diff", "--base", refBundle, "--head", v2Bundle, "-e", join(dir, "nope.jsonl")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("not found");
    const noBundle = await runCli(["diff", "--base", join(dir, "nope.tar.gz"), "--head", v2Bundle, "-e", smallFile]);
    expect(noBundle.code).toBe(1);
    expect(noBundle.stderr).toContain("nope.tar.gz");
  });
});
