import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WasmPolicyEngine } from "../src/engine/wasm-engine.js";
import { buildRawBundle, buildReference, referencePolicy, tamper, tempDir } from "./helpers/bundles.js";

let dir: string;
let engine: WasmPolicyEngine;
let bundlePath: string;

const example = async (name: string): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(join(referencePolicy, "examples", `${name}.json`), "utf8")) as Record<string, unknown>;

beforeAll(async () => {
  dir = await tempDir();
  bundlePath = await buildReference(dir);
  engine = await WasmPolicyEngine.fromFile(bundlePath);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the reference bundle decides the seed's examples through WASM", () => {
  it("allows a read on a registered server", async () => {
    const d = engine.decide(await example("1-read-approved-server"));
    expect(d).toMatchObject({ decision: "ALLOW", rules: ["allow-read-registered-server"], constraints: {} });
    expect(d.bundle.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(d.bundle.revision).toBe("test");
  });

  it("holds a production write for approval with the seed's limits", async () => {
    const d = engine.decide(await example("2-production-write"));
    expect(d).toMatchObject({
      decision: "REQUIRE_APPROVAL",
      rules: ["require-approval-production-write"],
      constraints: { max_runtime_sec: 60, max_retries: 1 },
    });
  });

  it("constrains a non-production write", async () => {
    const d = engine.decide(await example("3-non-production-write"));
    expect(d).toMatchObject({
      decision: "ALLOW_WITH_CONSTRAINTS",
      rules: ["constrain-non-prod-write"],
      constraints: { max_runtime_sec: 30, network_allowlist: ["api.github.com", "api.slack.com"] },
    });
  });

  it("denies an unregistered server with a reason naming it", async () => {
    const d = engine.decide(await example("4-unregistered-server"));
    expect(d.decision).toBe("DENY");
    expect(d.rules).toEqual(["deny-unregistered-server"]);
    expect(d.reason).toContain('server "shadow-notes" is not in the registry');
  });

  it("merges constraints of all matching rules and lets the most restrictive win", async () => {
    const env = await example("3-non-production-write");
    (env["labels"] as Record<string, string>)["mcp.action"] = "destructive";
    const d = engine.decide(env);
    expect(d.decision).toBe("REQUIRE_APPROVAL");
    expect(d.matched).toEqual([
      { rule: "constrain-non-prod-write", decision: "ALLOW_WITH_CONSTRAINTS" },
      { rule: "require-approval-destructive", decision: "REQUIRE_APPROVAL" },
    ]);
    expect(d.constraints.max_runtime_sec).toBe(30);
  });

  it("denies by default when no rule matches", async () => {
    const env = await example("2-production-write");
    env["risk_tags"] = [];
    const d = engine.decide(env);
    expect(d).toMatchObject({ decision: "DENY", rules: ["mcpgov.default-deny"] });
  });

  it("gives the same decision for the same envelope every time", async () => {
    const env = await example("3-non-production-write");
    const first = JSON.stringify(engine.decide(env));
    for (let i = 0; i < 50; i++) expect(JSON.stringify(engine.decide(env))).toBe(first);
  });
});

describe("the engine fails closed", () => {
  it("denies an invalid envelope and names the failing field", async () => {
    const env = await example("1-read-approved-server");
    (env["call"] as Record<string, unknown>)["tool"] = 42;
    const d = engine.decide(env);
    expect(d).toMatchObject({ decision: "DENY", fail_closed: "invalid_envelope", rules: ["mcpgov.fail-closed.invalid_envelope"] });
    expect(d.reason).toContain("call.tool:");
  });

  it("denies a falsy or non-object envelope", () => {
    for (const bad of [null, undefined, 0, "", []]) {
      expect(engine.decide(bad)).toMatchObject({ decision: "DENY", fail_closed: "invalid_envelope" });
    }
  });

  it("does not echo argument values into the reason", async () => {
    const env = await example("1-read-approved-server");
    env["call"] = { ...(env["call"] as object), arguments_digest: "sk_live_secretvalue" };
    const d = engine.decide(env);
    expect(d.decision).toBe("DENY");
    expect(d.reason).not.toContain("sk_live_secretvalue");
  });

  it("denies when evaluation fails", async () => {
    const path = await buildRawBundle(
      dir,
      `package mcpgov.decision\n\nresult := {"decision": "ALLOW"} if input.version\n\nresult := {"decision": "DENY"} if input.call\n`,
    );
    const d = (await WasmPolicyEngine.fromFile(path)).decide(await example("1-read-approved-server"));
    expect(d).toMatchObject({ decision: "DENY", fail_closed: "evaluation_error" });
    expect(d.reason).toMatch(/policy evaluation failed: .+/);
  });

  it("denies when the policy result is undefined", async () => {
    const path = await buildRawBundle(dir, `package mcpgov.decision\n\nresult := {"decision": "ALLOW"} if input.nothing_here\n`);
    const d = (await WasmPolicyEngine.fromFile(path)).decide(await example("1-read-approved-server"));
    expect(d).toMatchObject({ decision: "DENY", fail_closed: "undefined_result" });
  });

  it("denies when the policy result does not match the decision schema, naming the field", async () => {
    const path = await buildRawBundle(
      dir,
      `package mcpgov.decision\n\nresult := {"decision": "ALLOW", "rules": ["r"], "reason": "ok", "constraints": {"max_retries": "many"}}\n`,
    );
    const d = (await WasmPolicyEngine.fromFile(path)).decide(await example("1-read-approved-server"));
    expect(d).toMatchObject({ decision: "DENY", fail_closed: "invalid_result" });
    expect(d.reason).toContain("constraints.max_retries:");
  });

  it("turns a hit with an unknown decision into a DENY", async () => {
    const path = await buildRawBundle(
      dir,
      `package mcpgov.decision\n\nresult := {"decision": "ALOW", "rules": ["typo"], "reason": "x", "constraints": {}}\n`,
    );
    expect((await WasmPolicyEngine.fromFile(path)).decide(await example("1-read-approved-server"))).toMatchObject({
      decision: "DENY",
      fail_closed: "invalid_result",
    });
  });
});

describe("the engine refuses unverifiable bundles", () => {
  it("refuses a bundle whose data was changed after the build", async () => {
    const tampered = join(dir, "tampered.tar.gz");
    await tamper(bundlePath, tampered, "data.json", (bytes) => Buffer.from(bytes.toString().replace('"max_runtime_sec":60', '"max_runtime_sec":6000')));
    await expect(WasmPolicyEngine.fromFile(tampered)).rejects.toMatchObject({ code: "bundle_tampered" });
  });

  it("refuses a bundle whose WASM was changed after the build", async () => {
    const tampered = join(dir, "tampered-wasm.tar.gz");
    await tamper(bundlePath, tampered, "policy.wasm", (bytes) => {
      const copy = Buffer.from(bytes);
      copy[copy.length - 1] = copy[copy.length - 1]! ^ 0xff;
      return copy;
    });
    await expect(WasmPolicyEngine.fromFile(tampered)).rejects.toMatchObject({ code: "bundle_tampered" });
  });

  it("refuses a bundle without a stamp", async () => {
    const unstamped = join(dir, "unstamped.tar.gz");
    await tamper(bundlePath, unstamped, ".manifest", (bytes) => {
      const manifest = JSON.parse(bytes.toString()) as Record<string, unknown>;
      delete manifest["metadata"];
      return Buffer.from(JSON.stringify(manifest));
    });
    await expect(WasmPolicyEngine.fromFile(unstamped)).rejects.toMatchObject({ code: "bundle_unstamped" });
  });

  it("refuses a file that is not a bundle", async () => {
    await expect(WasmPolicyEngine.fromFile(join(referencePolicy, "mcpgov", "config", "data.json"))).rejects.toMatchObject({
      code: "bundle_invalid",
    });
  });
});
