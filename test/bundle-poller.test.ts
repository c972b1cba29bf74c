/**
 * The bundle poller against `mcpgov bundle serve`'s server on 127.0.0.1:
 * strong ETags and 304s, a new bundle picked up by its ETag change, long
 * polling that answers as soon as the file changes, a refused bundle not
 * fetched again, and a server that is down leaving the active bundle alone.
 * Then the gateway's wiring: bundle_source with bundle_signing activates a
 * signed bundle from the server and never an unsigned one.
 */
import { spawn } from "node:child_process";
import { copyFileSync, renameSync } from "node:fs";
import { createInterface } from "node:readline";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBundleServer, startBundleServer } from "../src/bundle/bundle-server.js";
import { McpgovError } from "../src/core/errors.js";
import { BundleSourceConfigSchema } from "../src/core/gateway-config.js";
import { BundlePoller } from "../src/gateway/bundle-poller.js";
import { buildReferenceBundle, createWorkspace, disposeGateway, startTestGateway, type TestGateway, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";
import { repoRoot } from "./helpers/cli.js";
import { bundleVariant, type KeyFiles, writeKeyPair } from "./helpers/signing.js";

let ws: Workspace;
let served: string;
let release: KeyFiles;
const v = {} as Record<"built" | "one" | "two" | "three" | "unsigned", string>;
const servers: RunningBundleServer[] = [];
let gw: TestGateway | undefined;

beforeAll(async () => {
  ws = await createWorkspace();
  served = join(ws.dir, "served");
  await mkdir(served);
  release = await writeKeyPair(ws.dir, "release");
  v.built = await buildReferenceBundle(join(ws.dir, "built.tar.gz"), { revision: "built" });
  for (const name of ["one", "two", "three"] as const) v[name] = await bundleVariant(v.built, join(ws.dir, `${name}.tar.gz`), name, { signWith: release });
  v.unsigned = await bundleVariant(v.built, join(ws.dir, "unsigned.tar.gz"), "unsigned", {});
}, 120_000);

afterAll(async () => {
  await disposeGateway(gw, undefined);
  await Promise.all(servers.map((s) => s.close()));
  await disposeGateway(undefined, ws);
});

/** Publishes a bundle the way a deployment does: written beside, renamed over. */
function publish(bundle: string): void {
  copyFileSync(bundle, join(served, "mcpgov.tar.gz.tmp"));
  renameSync(join(served, "mcpgov.tar.gz.tmp"), join(served, "mcpgov.tar.gz"));
}

async function serve(statuses: number[] = []): Promise<RunningBundleServer> {
  const server = await startBundleServer({ dir: served, port: 0, checkIntervalMs: 50, onRequest: (line) => statuses.push(line.status) });
  servers.push(server);
  return server;
}

const source = (url: string, more: Record<string, unknown> = {}) => BundleSourceConfigSchema.parse({ url, poll_min_sec: 0.05, poll_max_sec: 0.1, ...more });

describe("bundle server and poller", () => {
  it("serves strong ETags, 304 on a match, picks up a new bundle by its ETag; refused bytes are not fetched again; a down server fails cleanly", async () => {
    publish(v.one);
    const server = await serve();
    const url = `${server.url}/bundles/mcpgov.tar.gz`;
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
    expect((await fetch(url, { headers: { "if-none-match": first.headers.get("etag")! } })).status).toBe(304);
    expect((await fetch(`${server.url}/bundles/../x.tar.gz`)).status).toBe(404);

    const activated: string[] = [];
    let refuse: Error | undefined;
    const poller = new BundlePoller({
      source: source(url),
      activate: async (bytes) => {
        if (refuse) throw refuse;
        activated.push(Buffer.from(bytes).subarray(0, 4).toString("hex"));
      },
    });
    expect(await poller.pollOnce()).toMatchObject({ kind: "activated", etag: first.headers.get("etag") });
    expect(await poller.pollOnce()).toEqual({ kind: "not_modified" });
    publish(v.two);
    const second = await poller.pollOnce();
    expect(second.kind).toBe("activated");
    expect(poller.currentEtag).not.toBe(first.headers.get("etag"));
    expect(activated).toHaveLength(2);

    // A failure that is not the bundle's fault (say, a worker that did not start) is tried again…
    refuse = new Error("worker did not start");
    publish(v.unsigned);
    expect(await poller.pollOnce()).toMatchObject({ kind: "refused", reason: "worker did not start" });
    // …a bundle refused for what it is is not fetched again.
    refuse = new McpgovError("bundle_invalid", "bundle is not signed");
    expect(await poller.pollOnce()).toMatchObject({ kind: "refused", reason: "bundle is not signed" });
    expect(await poller.pollOnce()).toEqual({ kind: "not_modified" });

    await server.close();
    expect(await poller.pollOnce()).toMatchObject({ kind: "failed" });
    expect(activated).toHaveLength(2);
  });

  it("long polls: the server holds the request until the bundle changes, and says it supports long polling", async () => {
    publish(v.one);
    const server = await serve();
    const url = `${server.url}/bundles/mcpgov.tar.gz`;
    const poller = new BundlePoller({ source: source(url, { long_poll_timeout_sec: 1 }), activate: async () => undefined });
    expect((await poller.pollOnce()).kind).toBe("activated");
    let started = Date.now();
    expect(await poller.pollOnce()).toEqual({ kind: "not_modified" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const held = fetch(url, { headers: { "if-none-match": poller.currentEtag!, prefer: "wait=10" } });
    started = Date.now();
    setTimeout(() => publish(v.two), 200);
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/vnd.openpolicyagent.bundles");
    expect(Date.now() - started).toBeLessThan(5000);
    await answer.arrayBuffer();
  });
});

describe("mcpgov bundle serve", () => {
  it("serves the folder's bundles on loopback until SIGTERM (needs npm run build)", async () => {
    publish(v.one);
    const child = spawn(process.execPath, [join(repoRoot, "bin", "mcpgov.js"), "bundle", "serve", served, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const base = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on("line", (line) => {
          const match = /^mcpgov bundle server on (http:\/\/127\.0\.0\.1:\d+)\//.exec(line);
          if (match) resolve(match[1]!);
        });
        child.once("exit", (code) => reject(new Error(`mcpgov bundle serve exited with ${code}`)));
      });
      const response = await fetch(`${base}/bundles/mcpgov.tar.gz`);
      expect(response.status).toBe(200);
      expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
      await response.arrayBuffer();
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });
});

describe("the gateway with bundle_source", () => {
  it("activates a signed bundle from the server, keeps the last good on an unsigned one or a server that is down", async () => {
    publish(v.one);
    const statuses: number[] = [];
    const server = await serve(statuses);
    copyFileSync(v.one, ws.bundlePath);
    await writeGatewayConfig(ws, {
      servers: [],
      pin: false,
      extra: {
        bundle_signing: { keys: [{ id: "release", public_key_file: release.publicFile }] },
        bundle_source: { url: `${server.url}/bundles/mcpgov.tar.gz`, poll_min_sec: 0.1, poll_max_sec: 0.2, long_poll_timeout_sec: 2 },
      },
    });
    gw = await startTestGateway(ws);
    const revision = () => gw!.gateway.ctx.bundles.current().bundle.revision;
    expect(revision()).toBe("one");
    await expect.poll(() => statuses.includes(304), { timeout: 10_000 }).toBe(true);

    publish(v.two);
    await expect.poll(revision, { timeout: 10_000 }).toBe("two");
    publish(v.unsigned);
    await expect.poll(() => gw!.metric("mcpgov_bundle_swaps_total", { result: "refused" }), { timeout: 10_000 }).toBe(1);
    expect(revision()).toBe("two");

    await server.close();
    await expect.poll(() => gw!.metric("mcpgov_bundle_swaps_total", { result: "fetch_failed" }), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(revision()).toBe("two");
    expect(await gw.metric("mcpgov_bundle_swaps_total", { result: "swapped" })).toBe(1);
  }, 60_000);
});
