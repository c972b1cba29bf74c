/**
 * End to end: a gateway with bundle_signing keys activates only bundles
 * signed by them. An unsigned bundle, one signed by another key, and one
 * rebuilt after signing (its stamp matches, its signed hashes do not) are
 * refused at start; renamed over the watched file or uploaded, they are
 * refused while the last good bundle keeps deciding calls — counted,
 * logged and audited like any refusal. A signed new bundle swaps in.
 */
import { copyFileSync, readFileSync } from "node:fs";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildReferenceBundle,
  createWorkspace,
  decisionOf,
  disposeGateway,
  filesystemServer,
  KEY_ENV,
  KEYS,
  startTestGateway,
  type TestGateway,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";
import { loadGatewayConfig } from "../src/gateway/config.js";
import { startGateway } from "../src/gateway/gateway.js";
import { spawnCli } from "./helpers/cli.js";
import { bundleVariant, type KeyFiles, writeKeyPair } from "./helpers/signing.js";

let ws: Workspace;
let gw: TestGateway | undefined;
let release: KeyFiles;
let stranger: KeyFiles;
const v = {} as Record<"built" | "initial" | "next" | "unsigned" | "stranger" | "forged", string>;

const signing = () => ({ bundle_signing: { keys: [{ id: "release", public_key_file: release.publicFile, algorithm: "RS256" }] } });

beforeAll(async () => {
  ws = await createWorkspace();
  release = await writeKeyPair(ws.dir, "release");
  stranger = await writeKeyPair(ws.dir, "stranger");
  v.built = await buildReferenceBundle(join(ws.dir, "built.tar.gz"), { revision: "built" });
  const at = (name: string) => join(ws.dir, `${name}.tar.gz`);
  v.initial = await bundleVariant(v.built, at("initial"), "initial", { signWith: release });
  v.next = await bundleVariant(v.built, at("next"), "next", { signWith: release });
  v.unsigned = await bundleVariant(v.built, at("unsigned"), "unsigned", {});
  v.stranger = await bundleVariant(v.built, at("stranger"), "stranger", { signWith: stranger });
  v.forged = await bundleVariant(v.built, at("forged"), "forged", { signWith: release, forge: true });
}, 120_000);

afterAll(() => disposeGateway(gw, ws));

async function startWith(bundle: string): Promise<unknown> {
  await writeGatewayConfig(ws, { servers: [], bundle, pin: false, extra: signing() });
  const config = await loadGatewayConfig(ws.configPath, { env: KEY_ENV });
  const started = await startGateway(config, { env: KEY_ENV, http: false });
  await started.close();
  return started.ctx.bundles.current().bundle;
}

describe("serve with bundle_signing", () => {
  it("refuses to start on an unsigned, foreign-signed or rebuilt bundle, and starts on a signed one", async () => {
    await expect(startWith(v.unsigned)).rejects.toMatchObject({ code: "bundle_invalid", data: { reason: "unsigned" } });
    await expect(startWith(v.stranger)).rejects.toMatchObject({ code: "bundle_tampered", data: { reason: "signature_invalid" } });
    await expect(startWith(v.forged)).rejects.toMatchObject({ code: "bundle_tampered", data: { reason: "digest_mismatch" } });
    await expect(startWith(v.initial)).resolves.toMatchObject({ revision: "initial" });
  });

  it("mcpgov serve exits 1 naming the refusal (needs npm run build)", async () => {
    await writeGatewayConfig(ws, { servers: [], bundle: v.forged, pin: false, extra: signing() });
    const result = spawnCli(["serve", "--config", ws.configPath], { ...process.env, ...KEY_ENV });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/mcpgov: .*forged\.tar\.gz: file \.manifest does not match its signed hash/);
  });

  it("refuses a bad bundle on hot swap (file or upload); the last good one keeps deciding; a signed one swaps in", async () => {
    copyFileSync(v.initial, ws.bundlePath);
    await writeGatewayConfig(ws, { servers: [filesystemServer(ws)], extra: signing() });
    gw = await startTestGateway(ws);
    const client = await gw.connect("filesystem");
    const decidedBy = async () => decisionOf(await client.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, "x.txt"), content: "x" } })).bundle;
    const initial = await decidedBy();
    expect(initial.revision).toBe("initial");

    let refusals = 0;
    for (const bad of [v.unsigned, v.stranger, v.forged]) {
      // A deployment renames a build over the watched file.
      copyFileSync(bad, `${ws.bundlePath}.tmp`);
      await rename(`${ws.bundlePath}.tmp`, ws.bundlePath);
      refusals += 1;
      await expect.poll(() => gw!.metric("mcpgov_bundle_swaps_total", { result: "refused" }), { timeout: 20_000 }).toBe(refusals);
      expect(await decidedBy()).toEqual(initial);
    }

    const upload = await gw.fetch("/admin/bundle", { method: "POST", headers: { authorization: `Bearer ${KEYS.admin}`, "content-type": "application/gzip" }, body: readFileSync(v.unsigned) });
    expect(upload.status).toBe(422);
    expect(((await upload.json()) as { error: string }).error).toMatch(/not signed/);
    expect(await decidedBy()).toEqual(initial);

    copyFileSync(v.next, `${ws.bundlePath}.tmp`);
    await rename(`${ws.bundlePath}.tmp`, ws.bundlePath);
    await expect.poll(async () => (await decidedBy()).revision, { timeout: 20_000 }).toBe("next");
    expect(await gw.metric("mcpgov_bundle_swaps_total", { result: "swapped" })).toBe(1);
    expect(await gw.metric("mcpgov_bundle_swaps_total", { result: "refused" })).toBe(4);
    await expect.poll(async () => (await gw!.records({ event: "bundle.refused" })).length).toBe(4);
    const reasons = (await gw.records({ event: "bundle.refused" })).map((r) => JSON.stringify(r));
    expect(reasons.some((r) => r.includes("not signed"))).toBe(true);
    expect(reasons.some((r) => r.includes("does not match its signed hash"))).toBe(true);
  }, 120_000);
});
