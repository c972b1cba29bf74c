/**
 * Signed bundles on the command line and in OPA itself: `mcpgov build
 * --signing-key` and `mcpgov sign` write OPA's `.signatures.json`;
 * `mcpgov eval --verification-key` refuses an unsigned, foreign-signed or
 * rebuilt bundle; `opa run --server --bundle --verification-key` on
 * 127.0.0.1 accepts an mcpgov-signed bundle (RS256 and ES256) and refuses
 * a rebuilt one; a bundle signed by `opa build --signing-key` verifies in mcpgov.
 */
import type { ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBundleArchive } from "../src/bundle/archive.js";
import { readVerificationKey, verifyBundleSignature } from "../src/bundle/signing.js";
import { runOpa, startOpa } from "../src/toolchain/opa.js";
import { referencePolicy, tempDir, writeFiles } from "./helpers/bundles.js";
import { runCli } from "./helpers/cli.js";
import { bundleVariant, type KeyFiles, writeKeyPair } from "./helpers/signing.js";

let dir: string;
let rsa: KeyFiles;
let ec: KeyFiles;
let stranger: KeyFiles;
const b = {} as Record<"rsa" | "ec" | "unsigned" | "forged", string>;
const servers: ChildProcess[] = [];
const example = join(referencePolicy, "examples", "2-production-write.json");

beforeAll(async () => {
  dir = await tempDir("mcpgov-signing-opa-");
  rsa = await writeKeyPair(dir, "rsa");
  ec = await writeKeyPair(dir, "ec", "ES256");
  stranger = await writeKeyPair(dir, "stranger");
  b.rsa = join(dir, "rsa.tar.gz");
  const built = await runCli(["build", referencePolicy, "-o", b.rsa, "--revision", "signed", "--signing-key", rsa.privateFile, "--key-id", "release"]);
  expect(built.stderr).toBe("");
  expect(built.stdout).toContain("signed by release (RS256)");
  b.ec = join(dir, "ec.tar.gz");
  const signed = await runCli(["sign", b.rsa, "-o", b.ec, "--signing-key", ec.privateFile, "--signing-alg", "ES256", "--key-id", "ec", "--format", "json"]);
  expect(JSON.parse(signed.stdout)).toMatchObject({ keyId: "ec", algorithm: "ES256" });
  b.unsigned = await bundleVariant(b.rsa, join(dir, "unsigned.tar.gz"), "unsigned", {});
  b.forged = await bundleVariant(b.rsa, join(dir, "forged.tar.gz"), "forged", { signWith: rsa, forge: true });
}, 120_000);

afterAll(async () => {
  for (const server of servers) server.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
});

describe("mcpgov eval --verification-key", () => {
  it("decides with a bundle signed by the key (RS256, ES256)", async () => {
    const rs = await runCli(["eval", "-b", b.rsa, "-i", example, "--verification-key", rsa.publicFile, "--format", "json"]);
    expect(rs).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(rs.stdout)).toMatchObject({ decision: "REQUIRE_APPROVAL" });
    const es = await runCli(["eval", "-b", b.ec, "-i", example, "--verification-key", ec.publicFile, "--signing-alg", "ES256", "--verification-key-id", "ec"]);
    expect(es).toMatchObject({ code: 0, stderr: "" });
  });

  it("refuses an unsigned, a foreign-signed and a rebuilt bundle", async () => {
    const cases: Array<[string, string, RegExp]> = [
      [b.unsigned, rsa.publicFile, /not signed/],
      [b.rsa, stranger.publicFile, /signature does not verify/],
      [b.forged, rsa.publicFile, /does not match its signed hash/],
    ];
    for (const [bundle, key, message] of cases) {
      const result = await runCli(["eval", "-b", bundle, "-i", example, "--verification-key", key]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(message);
    }
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** `opa run --server` on loopback with a verification key; resolves with its URL once it has activated the bundle. */
async function opaServe(bundle: string, key: string, alg: string): Promise<string> {
  const port = await freePort();
  const server = await startOpa(["run", "--server", "--addr", `127.0.0.1:${port}`, "--bundle", bundle, "--verification-key", key, "--signing-alg", alg, "--log-level", "error"]);
  servers.push(server);
  let stderr = "";
  server.stderr?.on("data", (chunk: Buffer) => void (stderr += chunk.toString("utf8")));
  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (server.exitCode !== null) throw new Error(`opa run exited ${server.exitCode}: ${stderr}`);
    if (await fetch(`${base}/health?bundles`).then((r) => r.ok, () => false)) return base;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`opa run did not become ready: ${stderr}`);
}

describe("OPA and mcpgov signatures", () => {
  it("opa run --server --verification-key activates an mcpgov-signed bundle (RS256 and ES256)", async () => {
    for (const [bundle, key, alg] of [[b.rsa, rsa.publicFile, "RS256"], [b.ec, ec.publicFile, "ES256"]] as const) {
      const base = await opaServe(bundle, key, alg);
      const response = await fetch(`${base}/v1/data/mcpgov/decision/result`, { method: "POST", body: JSON.stringify({ input: {} }) });
      expect(response.status).toBe(200);
    }
  }, 60_000);

  it("OPA refuses what mcpgov refuses: a rebuilt bundle, another key", async () => {
    const out = join(dir, "opa-out.tar.gz");
    const forged = await runOpa(["build", "-b", b.forged, "--verification-key", rsa.publicFile, "-o", out]);
    expect(forged.status).not.toBe(0);
    expect(`${forged.stdout}${forged.stderr}`).toMatch(/digest mismatch/);
    const foreign = await runOpa(["build", "-b", b.rsa, "--verification-key", stranger.publicFile, "-o", out]);
    expect(foreign.status).not.toBe(0);
    expect(`${foreign.stdout}${foreign.stderr}`).toMatch(/failed to verify/);
  });

  it("a bundle signed by opa build --signing-key verifies in mcpgov, and not once changed", async () => {
    const src = join(dir, "opa-src");
    await writeFiles(src, {
      "mcpgov/x.rego": "package mcpgov.x\n\nallow := true\n",
      // Numbers as written, HTML characters, U+2028: OPA hashes its own JSON form of them.
      "data.json": '{"mcpgov": {"limit": 1.0, "big": 1e3, "s": "<&> \\u2028 é"}}',
      ".manifest": '{"roots": ["mcpgov"], "revision": "opa"}',
    });
    const out = join(dir, "opa-signed.tar.gz");
    const run = await runOpa(["build", "-b", ".", "--signing-key", ec.privateFile, "--signing-alg", "ES256", "-o", out], { cwd: src });
    expect(run.stderr).toBe("");
    const files = await readBundleArchive(out);
    const key = await readVerificationKey({ id: "default", public_key_file: ec.publicFile, algorithm: "ES256" });
    await expect(verifyBundleSignature(out, files, { keys: [key], required: true })).resolves.toMatchObject({ signed: true, files: 3 });
    files.set("mcpgov/x.rego", Buffer.from("package mcpgov.x\n\nallow := false\n"));
    await expect(verifyBundleSignature(out, files, { keys: [key], required: true })).rejects.toMatchObject({ data: { reason: "digest_mismatch" } });
  });
});
