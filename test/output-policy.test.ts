import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBundle } from "../src/bundle/bundle.js";
import { wasmEntrypointsOf } from "../src/bundle/manifest.js";
import { WasmPolicyEngine } from "../src/engine/wasm-engine.js";
import { buildOutputInput, summariseFindings } from "../src/output/output-input.js";
import { scanOutput } from "../src/output/result-scan.js";
import { buildRawBundle, buildReference, tempDir } from "./helpers/bundles.js";
import { runCli } from "./helpers/cli.js";

const j = (...parts: string[]): string => parts.join("");
const EMAIL = "jane.doe@acme-corp.com";
const PRIVATE_KEY = `${j("-----BEGIN", " RSA PRIVATE KEY-----")}\n${"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n".repeat(3)}${j("-----END", " RSA PRIVATE KEY-----")}`;
const TOKEN = `${j("gh", "p_")}Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe6QuV`;
const CALL = { server: "github", tool: "get_issue" };

let dir: string;
let bundle: string;
let engine: WasmPolicyEngine;

beforeAll(async () => {
  dir = await tempDir("mcpgov-output-policy-");
  bundle = await buildReference(dir);
  engine = await WasmPolicyEngine.fromFile(bundle);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const judge = (output: unknown) => engine.decideOutput(buildOutputInput(scanOutput(output), CALL));

describe("output-policy input", () => {
  it("aggregates findings per type with count and highest confidence, never values", () => {
    const scan = scanOutput(`${EMAIL} and ${j("john", ".roe@acme-corp.com")} and ${TOKEN}`);
    const input = buildOutputInput(scan, CALL);
    expect(input.findings).toEqual([
      { type: "email", category: "pii", count: 2, max_confidence: 0.9 },
      { type: "github_token", category: "secret", count: 1, max_confidence: 0.97 },
    ]);
    expect(input.scan_error).toBe(false);
    expect(JSON.stringify(input)).not.toContain("jane.doe");
    expect(summariseFindings([])).toEqual([]);
  });
});

describe("the reference output policy", () => {
  it("builds every entrypoint into one module", async () => {
    const manifest = (await readBundle(bundle)).manifest;
    expect(wasmEntrypointsOf(manifest)).toEqual([
      { entrypoint: "mcpgov/decision/result", module: "/policy.wasm" },
      { entrypoint: "mcpgov/output/result", module: "/policy.wasm" },
      { entrypoint: "mcpgov/catalog/result", module: "/policy.wasm" },
    ]);
  });

  it("passes a clean output", () => {
    const verdict = judge({ content: [{ type: "text", text: "issue 42 is open" }] });
    expect(verdict).toMatchObject({ decision: "PASS", rules: ["mcpgov.output.default-pass"], redact_types: [] });
    expect(verdict.fail_closed).toBeUndefined();
  });

  it("redacts an email", () => {
    const verdict = judge({ content: [{ type: "text", text: `reporter: ${EMAIL}` }] });
    expect(verdict).toMatchObject({ decision: "REDACT", rules: ["redact-pii"], redact_types: ["email"] });
    expect(verdict.reason).toContain("personal data");
  });

  it("quarantines a private key", () => {
    expect(judge(PRIVATE_KEY)).toMatchObject({ decision: "QUARANTINE", rules: ["quarantine-credentials"] });
  });

  it("quarantines an email with a private key: the most restrictive wins", () => {
    const verdict = judge(`${EMAIL}\n${PRIVATE_KEY}`);
    expect(verdict.decision).toBe("QUARANTINE");
    expect(verdict.matched).toEqual([
      { rule: "quarantine-credentials", decision: "QUARANTINE" },
      { rule: "redact-pii", decision: "REDACT" },
    ]);
  });

  it("quarantines a failed scan and an oversize output in the library itself", () => {
    const failed = engine.decideOutput(buildOutputInput({ findings: [], error: new Error("boom") }, CALL));
    expect(failed).toMatchObject({ decision: "QUARANTINE", rules: ["mcpgov.output.scan-error"] });
    const oversize = engine.decideOutput(buildOutputInput(scanOutput("a".repeat(2000), { maxBytes: 1000 }), CALL));
    expect(oversize).toMatchObject({ decision: "QUARANTINE", rules: ["mcpgov.output.not-fully-scanned"] });
  });

  it("fails closed to QUARANTINE on a bad input", () => {
    for (const bad of [undefined, {}, { version: "v2", findings: [], scan_error: false, call: CALL }, { version: "v1", findings: [{ type: "email" }], scan_error: false, call: CALL }]) {
      const verdict = engine.decideOutput(bad);
      expect(verdict.decision).toBe("QUARANTINE");
      expect(verdict.fail_closed).toBe("invalid_input");
      expect(verdict.rules).toEqual(["mcpgov.output.fail-closed.invalid_input"]);
    }
  });

  it("fails closed when the bundle has no output policy", async () => {
    const raw = await WasmPolicyEngine.fromFile(await buildRawBundle(dir, 'package mcpgov.decision\n\nresult := {"decision": "ALLOW"}\n'));
    expect(raw.decideOutput(buildOutputInput({ findings: [] }, CALL))).toMatchObject({ decision: "QUARANTINE", fail_closed: "missing_entrypoint" });
  });

  it("fails closed on an undefined or invalid output result", async () => {
    const withOutput = async (name: string, output: string) => {
      const files = { "decision.rego": 'package mcpgov.decision\n\nresult := {"decision": "ALLOW"}\n', "output.rego": `package mcpgov.output\n\n${output}\n` };
      const path = await buildRawBundle(join(dir, name), files, ["mcpgov/decision/result", "mcpgov/output/result"]);
      return (await WasmPolicyEngine.fromFile(path)).decideOutput(buildOutputInput({ findings: [] }, CALL));
    };
    expect(await withOutput("garbage", 'result := {"decision": "PASS"}')).toMatchObject({ decision: "QUARANTINE", fail_closed: "invalid_result" });
    expect(await withOutput("undefined", "result := 1 if input.never")).toMatchObject({ decision: "QUARANTINE", fail_closed: "undefined_result" });
  });
});

describe("mcpgov scan --bundle", () => {
  it("prints the verdict after the findings", async () => {
    const { code, stdout } = await runCli(["scan", "-", "--bundle", bundle], { stdin: `owner ${EMAIL}\n` });
    expect(code).toBe(0);
    expect(stdout).toContain("1 finding(s)");
    expect(stdout).toContain("verdict: REDACT (redact-pii) [redact: email]: redact-pii: personal data in the output: email");
  });

  it("puts the verdict in JSON output", async () => {
    const { code, stdout } = await runCli(["scan", "-", "--bundle", bundle, "--format", "json"], { stdin: "nothing here" });
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { verdict: unknown }).verdict).toEqual({ decision: "PASS", rules: ["mcpgov.output.default-pass"], reason: expect.any(String), redact_types: [] });
  });

  it("--redact redacts only the types the verdict names", async () => {
    // An operator's acme_token is found but named by no output rule: reported, left in place.
    const rules = join(dir, "rules.yaml");
    await writeFile(rules, 'rules:\n  - id: acme.token\n    type: acme_token\n    regex: "acme_[A-Za-z0-9]{16}"\n');
    const stdin = `owner ${EMAIL} token ${TOKEN} key acme_Zq8R3kTn5WmX2pLv`;
    const { code, stdout, stderr } = await runCli(["scan", "-", "--bundle", bundle, "--redact", "--rules", rules], { stdin });
    expect(code).toBe(0);
    expect(stdout).toBe("owner [REDACTED:email] token [REDACTED:github_token] key acme_Zq8R3kTn5WmX2pLv\n");
    expect(stderr).toContain("acme_token");
    expect(stderr).toContain("verdict: REDACT (redact-pii, redact-tokens)");
  });

  it("--redact refuses to print a quarantined output", async () => {
    const { code, stdout, stderr } = await runCli(["scan", "-", "--bundle", bundle, "--redact"], { stdin: `${EMAIL}\n${PRIVATE_KEY}` });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("verdict: QUARANTINE (quarantine-credentials)");
    expect(stderr).toContain("refusing to print");
    expect(stderr).not.toContain("MIIEow");
  });

  it("behaves as before without --bundle", async () => {
    const { stdout } = await runCli(["scan", "-"], { stdin: `owner ${EMAIL}\n` });
    expect(stdout).not.toContain("verdict");
  });

  it("fails on a missing bundle", async () => {
    const { code } = await runCli(["scan", "-", "--bundle", join(dir, "nope.tar.gz")], { stdin: "x" });
    expect(code).not.toBe(0);
  });
});
