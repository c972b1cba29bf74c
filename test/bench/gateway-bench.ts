/**
 * @module Gateway overhead: the same echo tool called directly over
 * Streamable HTTP and through `mcpgov serve` (policy, pins and the SQLite
 * audit store on), both on loopback, at a fixed request rate; then the
 * rate the gateway sustains with concurrent clients.
 *
 * Two pairs are measured. "SDK": SDK clients against an SDK echo server,
 * what a typical deployment looks like. "lean": a hand-rolled client
 * (lean-client.ts) against a JSON-only echo server (json-echo-upstream.ts),
 * both cheap per call, so on this 2-core machine the gateway is the
 * bottleneck of the run and its own ceiling shows.
 * MCPGOV_BENCH_AUDIT_SYNC=normal runs the gateway with audit.synchronous: normal.
 * MCPGOV_BENCH_TRACING=on turns tracing on, every request sampled, exported
 * to a loopback OTLP receiver in this process that reads and discards it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Agent, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { loadGatewayConfig } from "../../src/gateway/config.js";
import { pinServers } from "../../src/gateway/pin-servers.js";
import { emptyLock, writeLockFile } from "../../src/gateway/pins.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { leanSession } from "./lean-client.js";
import { fmt, nowMicros, summarise, type Summary } from "./stats.js";

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

type Call = (text: string) => Promise<unknown>;

/**
 * CPU time (user + system, ms) a process has used, from /proc (Linux; USER_HZ
 * is 100 there). On a shared 2-core machine wall-clock rates swing with the
 * neighbours' load; the gateway's CPU per call does much less.
 */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Open-loop: calls start on a fixed schedule whether or not earlier ones finished. */
async function fixedRate(call: Call, calls: number): Promise<number[]> {
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
        await call(`call ${i}`);
        samples.push(nowMicros() - t0);
      })(),
    );
  }
  await Promise.all(pending);
  return samples;
}

const sdkCall = (client: Client): Call => (text) => client.callTool({ name: "echo", arguments: { text } });

/** Closed loop: each of CONCURRENCY sessions calls again as soon as its last call returned. */
async function throughput(open: () => Promise<{ call: Call; close(): Promise<void> | void }>, pid?: number): Promise<{ rate: number; cpuPerCall: number }> {
  const sessions = await Promise.all(Array.from({ length: CONCURRENCY }, open));
  for (const s of sessions) await s.call("warm");
  let done = 0;
  const cpuBefore = cpuMs(pid);
  const until = Date.now() + THROUGHPUT_SECONDS * 1000;
  await Promise.all(
    sessions.map(async (session) => {
      while (Date.now() < until) {
        await session.call("x");
        done++;
      }
    }),
  );
  const cpuPerCall = (cpuMs(pid) - cpuBefore) / done;
  await Promise.all(sessions.map((s) => s.close()));
  return { rate: done / THROUGHPUT_SECONDS, cpuPerCall };
}

async function latency(direct: Call, governed: Call): Promise<{ d: Summary; g: Summary }> {
  for (let i = 0; i < 300; i++) {
    await direct("warm");
    await governed("warm");
  }
  const directSamples: number[] = [];
  const governedSamples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    directSamples.push(...(await fixedRate(direct, CALLS_PER_ROUND)));
    governedSamples.push(...(await fixedRate(governed, CALLS_PER_ROUND)));
  }
  return { d: summarise(directSamples), g: summarise(governedSamples) };
}

function latencyRows(label: string, { d, g }: { d: Summary; g: Summary }): string[] {
  const ms = (us: number) => fmt(us / 1000, 3).padStart(8);
  return [
    `${`${label} direct`.padEnd(16)} ${ms(d.median)} ${ms(d.p99)}`,
    `${`${label} via mcpgov`.padEnd(16)} ${ms(g.median)} ${ms(g.p99)}   ratio ${fmt(g.median / d.median, 2)}× p50, ${fmt(g.p99 / d.p99, 2)}× p99`,
    `${`${label} added`.padEnd(16)} ${ms(g.median - d.median)} ${ms(g.p99 - d.p99)}   (goal ≤ 0.5 p50, ≤ 2 p99)`,
  ];
}

/** An OTLP/HTTP receiver that reads each export and answers 200: the exporter's full cost, no collector's. */
async function discardingReceiver(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, server };
}

export async function gatewayBench(root: string, workDir: string): Promise<string[]> {
  const upstream = spawn(process.execPath, [join(root, "dist", "test", "bench", "echo-upstream.js")], { stdio: ["ignore", "pipe", "inherit"] });
  const jsonUpstream = spawn(process.execPath, [join(root, "dist", "test", "bench", "json-echo-upstream.js")], { stdio: ["ignore", "pipe", "inherit"] });
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
  const sync = process.env["MCPGOV_BENCH_AUDIT_SYNC"] === "normal" ? "normal" : "full";
  let gateway: ChildProcess | undefined;
  const traces = process.env["MCPGOV_BENCH_TRACING"] === "on" ? await discardingReceiver() : undefined;
  try {
    const upstreamUrl = await firstLine(upstream, /^(http:\/\/\S+)$/);
    const jsonUpstreamUrl = await firstLine(jsonUpstream, /^(http:\/\/\S+)$/);
    const bundle = join(workDir, "gateway-bench.tar.gz");
    await buildBundle({ policyDir: join(root, "policy", "reference"), output: bundle, revision: "bench" });
    const configPath = join(workDir, "bench.mcpgov.yaml");
    await writeFile(
      configPath,
      [
        "listen: {host: 127.0.0.1, port: 0}",
        `data_dir: ${join(workDir, "gateway-data")}`,
        `bundle: ${bundle}`,
        // Only when set, so this bench also runs against a gateway from before the key existed.
        ...(sync === "normal" ? ["audit: {synchronous: normal}"] : []),
        ...(traces ? [`tracing: {endpoint: "${traces.url}", sample_ratio: 1}`] : []),
        "auth: {mode: api_keys, keys: [{id: bench, key_env: MCPGOV_BENCH_KEY, subject: bench, roles: []}]}",
        "servers:",
        `  - {id: echo, risk_tags: [prod], transport: {type: streamable_http, url: "${upstreamUrl}"}, tools: {echo: read}}`,
        `  - {id: json-echo, risk_tags: [prod], transport: {type: streamable_http, url: "${jsonUpstreamUrl}"}, tools: {echo: read}}`,
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
    const auth = { authorization: `Bearer ${KEY}` };

    const direct = await connect(upstreamUrl);
    const governed = await connect(`${gatewayUrl}/mcp/echo`, auth);
    const sdkLatency = await latency(sdkCall(direct), sdkCall(governed));
    await direct.close();
    await governed.close();
    const leanDirect = await leanSession(jsonUpstreamUrl, {}, agent);
    const leanGoverned = await leanSession(`${gatewayUrl}/mcp/json-echo`, auth, agent);
    const leanLatency = await latency(leanDirect.call, leanGoverned.call);

    const sdkOpen = (url: string, headers: Record<string, string>) => async () => {
      const client = await connect(url, headers);
      return { call: sdkCall(client), close: () => client.close() };
    };
    const leanOpen = (url: string, headers: Record<string, string>) => () => leanSession(url, headers, agent);
    const sdkDirect = await throughput(sdkOpen(upstreamUrl, {}), upstream.pid);
    const sdkVia = await throughput(sdkOpen(`${gatewayUrl}/mcp/echo`, auth), gateway.pid);
    const leanDirect2 = await throughput(leanOpen(jsonUpstreamUrl, {}), jsonUpstream.pid);
    const leanVia = await throughput(leanOpen(`${gatewayUrl}/mcp/json-echo`, auth), gateway.pid);
    const rateRow = (label: string, direct: { rate: number; cpuPerCall: number }, via: { rate: number; cpuPerCall: number }) =>
      `  ${label.padEnd(5)} direct ${fmt(direct.rate, 0).padStart(5)} calls/s, via mcpgov ${fmt(via.rate, 0).padStart(5)} calls/s (${fmt(via.rate / direct.rate, 2)}× of direct); ` +
      `CPU per call: upstream ${fmt(direct.cpuPerCall, 2)} ms, gateway ${fmt(via.cpuPerCall, 2)} ms (one core's worth ≈ ${fmt(1000 / via.cpuPerCall, 0)} calls/s)`;
    return [
      `gateway overhead (ms) at ${RATE_PER_SEC} calls/s, ${ROUNDS}×${CALLS_PER_ROUND} calls per path, audit store on (synchronous=${sync}), tracing ${traces ? "on (every request, OTLP to loopback)" : "off"}`,
      "SDK = SDK client → SDK echo server; lean = hand-rolled client → JSON-only echo server (see gateway-bench.ts)",
      "path                  p50      p99",
      ...latencyRows("SDK", sdkLatency),
      ...latencyRows("lean", leanLatency),
      `throughput, ${CONCURRENCY} concurrent sessions, ${THROUGHPUT_SECONDS} s each (goal ≥ 2000 calls/s via mcpgov):`,
      rateRow("SDK", sdkDirect, sdkVia),
      rateRow("lean", leanDirect2, leanVia),
    ];
  } finally {
    agent.destroy();
    gateway?.kill("SIGTERM");
    upstream.kill("SIGTERM");
    jsonUpstream.kill("SIGTERM");
    traces?.server.closeAllConnections();
    traces?.server.close();
  }
}
