/**
 * @module Gateway overhead: the same echo tool called directly over
 * Streamable HTTP and through `mcpgov serve` (policy, pins and the SQLite
 * audit store on), both on loopback, at a fixed request rate; then the
 * rate the gateway sustains with concurrent clients.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { loadGatewayConfig } from "../../src/gateway/config.js";
import { pinServers } from "../../src/gateway/pin-servers.js";
import { emptyLock, writeLockFile } from "../../src/gateway/pins.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { fmt, nowMicros, summarise } from "./stats.js";

const RATE_PER_SEC = 50;
const CALLS_PER_ROUND = 500;
const ROUNDS = Number(process.env["MCPGOV_BENCH_ROUNDS"] ?? 2);
const CONCURRENCY = 16;
const THROUGHPUT_SECONDS = 5;
const KEY = "bench-key-0123456789abcdef";

function firstLine(child: ChildProcess, match: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      const m = match.exec(line);
      if (m) resolve(m[1] ?? line);
    });
    child.once("exit", (code) => reject(new Error(`process exited with ${code} before it was ready`)));
  });
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** Open-loop: calls start on a fixed schedule whether or not earlier ones finished. */
async function fixedRate(client: Client, calls: number): Promise<number[]> {
  const samples: number[] = [];
  const interval = 1000 / RATE_PER_SEC;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < calls; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      (async () => {
        const t0 = nowMicros();
        await client.callTool({ name: "echo", arguments: { text: `call ${i}` } });
        samples.push(nowMicros() - t0);
      })(),
    );
  }
  await Promise.all(pending);
  return samples;
}

async function throughput(url: string, headers: Record<string, string>): Promise<number> {
  const clients = await Promise.all(Array.from({ length: CONCURRENCY }, () => connect(url, headers)));
  let done = 0;
  const until = Date.now() + THROUGHPUT_SECONDS * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (Date.now() < until) {
        await client.callTool({ name: "echo", arguments: { text: "x" } });
        done++;
      }
    }),
  );
  await Promise.all(clients.map((c) => c.close()));
  return done / THROUGHPUT_SECONDS;
}

export async function gatewayBench(root: string, workDir: string): Promise<string[]> {
  const upstream = spawn(process.execPath, [join(root, "dist", "test", "bench", "echo-upstream.js")], { stdio: ["ignore", "pipe", "inherit"] });
  let gateway: ChildProcess | undefined;
  try {
    const upstreamUrl = await firstLine(upstream, /^(http:\/\/\S+)$/);
    const bundle = join(workDir, "gateway-bench.tar.gz");
    await buildBundle({ policyDir: join(root, "policy", "reference"), output: bundle, revision: "bench" });
    const configPath = join(workDir, "bench.mcpgov.yaml");
    await writeFile(
      configPath,
      [
        "listen: {host: 127.0.0.1, port: 0}",
        `data_dir: ${join(workDir, "gateway-data")}`,
        `bundle: ${bundle}`,
        `audit: {synchronous: ${process.env["MCPGOV_BENCH_AUDIT_SYNC"] ?? "full"}}`,
        "auth: {mode: api_keys, keys: [{id: bench, key_env: MCPGOV_BENCH_KEY, subject: bench, roles: []}]}",
        "servers:",
        `  - {id: echo, risk_tags: [prod], transport: {type: streamable_http, url: "${upstreamUrl}"}, tools: {echo: read}}`,
        "",
      ].join("\n"),
    );
    const env = { ...process.env, MCPGOV_BENCH_KEY: KEY };
    const config = await loadGatewayConfig(configPath, { env });
    await writeLockFile(config.source.lock_path, (await pinServers(config.servers, emptyLock(), { env })).lock);
    // MCPGOV_BENCH_GATEWAY_NODE_ARGS="--cpu-prof" profiles the gateway process.
    const nodeArgs = (process.env["MCPGOV_BENCH_GATEWAY_NODE_ARGS"] ?? "").split(" ").filter(Boolean);
    gateway = spawn(process.execPath, [...nodeArgs, join(root, "bin", "mcpgov.js"), "serve", "--config", configPath, "--log-level", "warn"], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const gatewayUrl = await firstLine(gateway, /listening on (http:\/\/\S+)/);

    const direct = await connect(upstreamUrl);
    const governed = await connect(`${gatewayUrl}/mcp/echo`, { authorization: `Bearer ${KEY}` });
    for (let i = 0; i < 300; i++) {
      await direct.callTool({ name: "echo", arguments: { text: "warm" } });
      await governed.callTool({ name: "echo", arguments: { text: "warm" } });
    }
    const directSamples: number[] = [];
    const governedSamples: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      directSamples.push(...(await fixedRate(direct, CALLS_PER_ROUND)));
      governedSamples.push(...(await fixedRate(governed, CALLS_PER_ROUND)));
    }
    await direct.close();
    await governed.close();
    const d = summarise(directSamples);
    const g = summarise(governedSamples);
    const directRate = await throughput(upstreamUrl, {});
    const rate = await throughput(`${gatewayUrl}/mcp/echo`, { authorization: `Bearer ${KEY}` });
    return [
      `gateway overhead (ms) at ${RATE_PER_SEC} calls/s, ${ROUNDS}×${CALLS_PER_ROUND} calls per path, audit store on`,
      "path               p50      p99",
      `direct        ${fmt(d.median / 1000, 3).padStart(8)} ${fmt(d.p99 / 1000, 3).padStart(8)}`,
      `via mcpgov    ${fmt(g.median / 1000, 3).padStart(8)} ${fmt(g.p99 / 1000, 3).padStart(8)}`,
      `added         ${fmt((g.median - d.median) / 1000, 3).padStart(8)} ${fmt((g.p99 - d.p99) / 1000, 3).padStart(8)}   (goal ≤ 0.5 p50, ≤ 2 p99)`,
      `throughput with ${CONCURRENCY} concurrent clients: direct ${fmt(directRate, 0)} calls/s, via mcpgov ${fmt(rate, 0)} calls/s (${fmt(rate / directRate, 2)}× of direct; goal ≥ 2000)`,
    ];
  } finally {
    gateway?.kill("SIGTERM");
    upstream.kill("SIGTERM");
  }
}
