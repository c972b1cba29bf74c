/**
 * End to end: swapping the policy bundle under steady traffic. A new build
 * renamed over the bundle file and an upload to POST /admin/bundle both
 * take effect without failing a single call; decisions made after a swap
 * carry the new bundle's hash; a tampered upload is refused with 422 and
 * the active bundle stays.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tamper } from "./helpers/bundles.js";
import {
  buildReferenceBundle,
  createWorkspace,
  decisionOf,
  disposeGateway,
  filesystemServer,
  KEYS,
  startTestGateway,
  type TestGateway,
  textOf,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

let ws: Workspace;
let gw: TestGateway;
let next: { file: string; upload: string; tampered: string };

beforeAll(async () => {
  ws = await createWorkspace();
  // Three bundles with different limits, so three different content hashes.
  await buildReferenceBundle(ws.bundlePath, { revision: "initial" });
  next = { file: join(ws.dir, "next-file.tar.gz"), upload: join(ws.dir, "next-upload.tar.gz"), tampered: join(ws.dir, "tampered.tar.gz") };
  await buildReferenceBundle(next.file, { maxRuntimeSec: 29, revision: "by-file" });
  await buildReferenceBundle(next.upload, { maxRuntimeSec: 28, revision: "by-upload" });
  await tamper(next.upload, next.tampered, "data.json", (bytes) => Buffer.from(bytes.toString().replace('"max_runtime_sec":60', '"max_runtime_sec":6000')));
  writeFileSync(join(ws.sandbox, "steady.txt"), "steady state");
  await writeGatewayConfig(ws, { servers: [filesystemServer(ws)] });
  gw = await startTestGateway(ws);
});

afterAll(() => disposeGateway(gw, ws));

interface Observed {
  /** The hash active when the call was sent (read from the gateway before sending). */
  activeAtStart: string;
  kind: "read" | "write";
  hash?: string;
}

const hashNow = () => gw.gateway.ctx.bundles.current().bundle.hash;

async function upload(path: string, key: string): Promise<Response> {
  return gw.fetch("/admin/bundle", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/gzip" }, body: readFileSync(path) });
}

describe("a bundle swap under steady traffic", () => {
  it("fails no call; later decisions carry the new hash; a tampered upload is refused", async () => {
    const initial = hashNow();
    const client = await gw.connect("filesystem");
    const observed: Observed[] = [];
    const failures: unknown[] = [];
    let stop = false;

    const worker = async (kind: "read" | "write") => {
      for (let i = 0; !stop; i++) {
        const activeAtStart = hashNow();
        try {
          if (kind === "read") {
            const result = await client.callTool({ name: "read_text_file", arguments: { path: join(ws.sandbox, "steady.txt") } });
            if (result.isError || textOf(result) !== "steady state") failures.push(result);
            observed.push({ activeAtStart, kind });
          } else {
            const result = await client.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, `w-${kind}-${i}.txt`), content: "x" } });
            const decision = decisionOf(result);
            if (decision.decision !== "REQUIRE_APPROVAL") failures.push(result);
            observed.push({ activeAtStart, kind, hash: decision.bundle.hash });
          }
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const waitForCalls = async (n: number) => {
      const target = observed.length + n;
      await expect.poll(() => observed.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(target);
    };
    const traffic = Promise.all([worker("read"), worker("read"), worker("write"), worker("write")]);

    try {
      await waitForCalls(12);

      // 1. A deployment renames a new build over the bundle file.
      await rename(next.file, ws.bundlePath);
      await expect.poll(hashNow, { timeout: 20_000 }).not.toBe(initial);
      const byFile = hashNow();
      await waitForCalls(12);

      // 2. An operator uploads another; a key without the admin role may not.
      expect((await upload(next.upload, KEYS.alice)).status).toBe(403);
      expect(hashNow()).toBe(byFile);
      const uploaded = await upload(next.upload, KEYS.admin);
      expect(uploaded.status).toBe(200);
      const byUpload = ((await uploaded.json()) as { active: { hash: string; revision: string } }).active;
      expect(byUpload.revision).toBe("by-upload");
      expect(byUpload.hash).not.toBe(byFile);
      expect(hashNow()).toBe(byUpload.hash);
      await waitForCalls(12);

      // 3. A tampered bundle is refused; the uploaded one stays active.
      const refused = await upload(next.tampered, KEYS.admin);
      expect(refused.status).toBe(422);
      const body = (await refused.json()) as { error: string; active: { hash: string } };
      expect(body.active.hash).toBe(byUpload.hash);
      expect(body.error).not.toBe("");
      expect(hashNow()).toBe(byUpload.hash);
      await waitForCalls(12);

      stop = true;
      await traffic;

      expect(failures).toEqual([]);
      const writes = observed.filter((o) => o.kind === "write");
      const hashes = [initial, byFile, byUpload.hash];
      // Each decision was made by the bundle active when it was sent, or a later one; never an older one.
      for (const o of writes) expect(hashes.indexOf(o.hash!)).toBeGreaterThanOrEqual(hashes.indexOf(o.activeAtStart));
      expect(writes.filter((o) => o.activeAtStart === byFile).length).toBeGreaterThan(0);
      expect(writes.filter((o) => o.activeAtStart === byUpload.hash).every((o) => o.hash === byUpload.hash)).toBe(true);
      expect(writes.filter((o) => o.activeAtStart === byUpload.hash).length).toBeGreaterThan(0);
      expect(new Set(writes.map((o) => o.hash))).toEqual(new Set(hashes));

      const get = await gw.fetch("/admin/bundle", { headers: { authorization: `Bearer ${KEYS.admin}` } });
      expect(((await get.json()) as { active: { hash: string } }).active.hash).toBe(byUpload.hash);
      expect(await gw.metric("mcpgov_bundle_swaps_total", { result: "swapped" })).toBe(2);
      expect(await gw.metric("mcpgov_bundle_swaps_total", { result: "refused" })).toBe(1);
      // Each swap and refusal is an event in the audit chain, naming the bundle that is active after it.
      // (Appended after the swap without holding it up: wait for the commit.)
      await expect.poll(async () => (await gw.records({ event: "bundle.swapped" })).length).toBe(2);
      const swaps = await gw.records({ event: "bundle.swapped" });
      expect(swaps[1]).toMatchObject({ kind: "event", bundle: { hash: gw.gateway.ctx.bundles.current().bundle.hash }, details: { previous: swaps[0]!.bundle!.hash } });
      await expect.poll(async () => (await gw.records({ event: "bundle.refused" })).length).toBe(1);

      // The audit trail names the bundle each decision came from.
      const recorded = new Set((await gw.calls({ tool: "write_file" })).map((r) => r.bundle.hash));
      expect(recorded).toEqual(new Set(hashes));
    } finally {
      stop = true;
      await traffic;
    }
  });
});
