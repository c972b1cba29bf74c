/**
 * @module Gateway cost against the floor. The same JSON-only echo upstream
 * (json-echo-upstream.ts) is called four ways, interleaved in one run:
 * directly; through a raw `node:http` byte forwarder (raw-forwarder.ts);
 * through a bare SDK proxy (sdk-proxy.ts: low-level Server + Client, no
 * policy, audit or scanning); and through `mcpgov serve` with the reference
 * policy, pins, output scanning and the durable audit store (intent and
 * outcome records, synchronous=full unless MCPGOV_BENCH_AUDIT_SYNC=normal).
 * The client is hand-rolled (lean-client.ts) so that on this 2-core machine
 * the load generator costs little next to what it measures.
 *
 * Each repeat (MCPGOV_BENCH_REPEATS, default 3) visits the four targets in a
 * rotated order: latency at a fixed low rate, then a closed-loop run of 16
 * sessions. Over the repeats every target serves at least 50,000 calls
 * before its RSS is read. CPU per call is the forwarding process's own
 * (user + system from /proc), which the neighbours' load disturbs far less
 * than wall-clock rates. MCPGOV_BENCH_TRACING=on turns the gateway's
 * tracing on, every request sampled and exported to a loopback receiver
 * that discards it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { Agent, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { loadGatewayConfig } from "../../src/gateway/config.js";
import { pinServers } from "../../src/gateway/pin-servers.js";
import { emptyLock, writeLockFile } from "../../src/gateway/pins.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { leanSession, type LeanSession } from "./lean-client.js";
import { fmt, nowMicros, summarise } from "./stats.js";

const RATE_PER_SEC = 100;
const LATENCY_CALLS = 400;
const CONCURRENCY = 16;
const REPEATS = Math.max(1, Number(process.env["MCPGOV_BENCH_REPEATS"] ?? 3));
const CALLS_FOR_RSS = Number(process.env["MCPGOV_BENCH_GATEWAY_CALLS"] ?? 50_000);
const KEY = "bench-key-0123456789abcdef";

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The process whose CPU and RSS count for this path. */
  process: ChildProcess;
}

interface Sample {
  p50: number;
  p99: number;
  rate: number;
  cpuPerCall: number;
}

function firstLine(child: ChildProcess, match: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = match.exec(line);
      if (m) resolve(m[1] ?? line);
    });
    child.once("exit", (code) => reject(new Error(`process exited with ${code} before it was ready`)));
  });
}

/** CPU time (user + system, ms) from /proc (Linux; USER_HZ is 100 there). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function rssMb(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]!;
    return Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Open loop at a fixed rate: calls start on schedule whether or not earlier ones finished. */
async function fixedRate(session: LeanSession): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < LATENCY_CALLS; i++) {
    const wait = start + (i * 1000) / RATE_PER_SEC - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      (async () => {
        const t0 = nowMicros();
        await session.call(`call ${i}`);
        samples.push(nowMicros() - t0);
      })(),
    );
  }
  await Promise.all(pending);
  const s = summarise(samples);
  return { p50: s.median / 1000, p99: s.p99 / 1000 };
}

/** Closed loop: CONCURRENCY sessions, each calling again as soon as its last call returned, `calls` calls in all. */
async function closedLoop(target: Target, agent: Agent, calls: number): Promise<{ rate: number; cpuPerCall: number }> {
  const sessions = await Promise.all(Array.from({ length: CONCURRENCY }, () => leanSession(target.url, target.headers, agent)));
  for (const s of sessions) await s.call("warm");
  let started = 0;
  const cpuBefore = cpuMs(target.process.pid);
  const t0 = performance.now();
  await Promise.all(
    sessions.map(async (session) => {
      while (started < calls) {
        started++;
        await session.call("x");
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { rate: started / seconds, cpuPerCall: (cpuMs(target.process.pid) - cpuBefore) / started };
}

async function measure(target: Target, agent: Agent, calls: number): Promise<Sample> {
  const session = await leanSession(target.url, target.headers, agent);
  for (let i = 0; i < 200; i++) await session.call("warm");
  const latency = await fixedRate(session);
  return { ...latency, ...(await closedLoop(target, agent, calls)) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const spread = (values: number[], digits: number) => `${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}`;

async function discardingReceiver(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, server };
}

function child(root: string, script: string, args: string[] = []): ChildProcess {
  return spawn(process.execPath, [join(root, "dist", "test", "bench", script), ...args], { stdio: ["ignore", "pipe", "inherit"] });
}

async function writeConfig(workDir: string, root: string, upstreamUrl: string, sync: string, tracesUrl?: string): Promise<string> {
  const bundle = join(workDir, "gateway-bench.tar.gz");
  await buildBundle({ policyDir: join(root, "policy", "reference"), output: bundle, revision: "bench" });
  const configPath = join(workDir, "bench.mcpgov.yaml");
  await writeFile(
    configPath,
    [
      "listen: {host: 127.0.0.1, port: 0}",
      `data_dir: ${join(workDir, "gateway-data")}`,
      `bundle: ${bundle}`,
      `audit: {synchronous: ${sync}}`,
      ...(tracesUrl ? [`tracing: {endpoint: "${tracesUrl}", sample_ratio: 1}`] : []),
      "auth: {mode: api_keys, keys: [{id: bench, key_env: MCPGOV_BENCH_KEY, subject: bench, roles: []}]}",
      "servers:",
      `  - {id: echo, risk_tags: [prod], transport: {type: streamable_http, url: "${upstreamUrl}"}, tools: {echo: read}}`,
      "",
    ].join("\n"),
  );
  const env = { ...process.env, MCPGOV_BENCH_KEY: KEY };
  const config = await loadGatewayConfig(configPath, { env });
  await writeLockFile(config.source.lock_path, (await pinServers(config.servers, emptyLock(), { env })).lock);
  return configPath;
}

export async function gatewayBench(root: string, workDir: string): Promise<string[]> {
  const sync = process.env["MCPGOV_BENCH_AUDIT_SYNC"] === "normal" ? "normal" : "full";
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
  const children: ChildProcess[] = [];
  const traces = process.env["MCPGOV_BENCH_TRACING"] === "on" ? await discardingReceiver() : undefined;
  try {
    const upstream = child(root, "json-echo-upstream.js");
    children.push(upstream);
    const upstreamUrl = await firstLine(upstream, /^(http:\/\/\S+)$/);
    const raw = child(root, "raw-forwarder.js", [upstreamUrl]);
    const sdk = child(root, "sdk-proxy.js", [upstreamUrl]);
    children.push(raw, sdk);
    const configPath = await writeConfig(workDir, root, upstreamUrl, sync, traces?.url);
    // MCPGOV_BENCH_GATEWAY_NODE_ARGS="--cpu-prof" profiles the gateway process.
    const nodeArgs = (process.env["MCPGOV_BENCH_GATEWAY_NODE_ARGS"] ?? "").split(" ").filter(Boolean);
    const gateway = spawn(process.execPath, [...nodeArgs, join(root, "bin", "mcpgov.js"), "serve", "--config", configPath, "--log-level", "warn"], {
      env: { ...process.env, MCPGOV_BENCH_KEY: KEY },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(gateway);
    const targets: Target[] = [
      { name: "direct", url: upstreamUrl, headers: {}, process: upstream },
      { name: "raw forwarder", url: await firstLine(raw, /^(http:\/\/\S+)$/), headers: {}, process: raw },
      { name: "bare SDK proxy", url: await firstLine(sdk, /^(http:\/\/\S+)$/), headers: {}, process: sdk },
      { name: "mcpgov", url: `${await firstLine(gateway, /listening on (http:\/\/\S+)/)}/mcp/echo`, headers: { authorization: `Bearer ${KEY}` }, process: gateway },
    ];
    const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
    const callsPerRepeat = Math.ceil(CALLS_FOR_RSS / REPEATS);
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      // Rotate the order so no target always runs first (or last) in a repeat.
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + repeat) % targets.length]!;
        samples.get(target.name)!.push(await measure(target, agent, callsPerRepeat));
      }
    }
    const rss = new Map(targets.map((t) => [t.name, rssMb(t.process.pid)]));
    const m = (name: string, key: keyof Sample) => median(samples.get(name)!.map((s) => s[key]));
    const lines = [
      `gateway vs the floor: JSON echo upstream, lean client; ${REPEATS} interleaved repeats (median, spread min–max); latency at ${RATE_PER_SEC} calls/s (${LATENCY_CALLS} calls), throughput with ${CONCURRENCY} sessions; mcpgov with policy, pins, output scanning, audit synchronous=${sync}, tracing ${traces ? "on (every request)" : "off"}`,
      `  ${"path".padEnd(15)} ${"p50 ms".padStart(14)} ${"p99 ms".padStart(14)} ${"calls/s".padStart(16)} ${"CPU ms/call".padStart(16)} ${"RSS MB".padStart(8)}`,
    ];
    for (const t of targets) {
      const s = samples.get(t.name)!;
      const col = (key: keyof Sample, digits: number, width: number) => `${fmt(m(t.name, key), digits)} (${spread(s.map((x) => x[key]), digits)})`.padStart(width);
      lines.push(`  ${t.name.padEnd(15)} ${col("p50", 2, 14)} ${col("p99", 2, 14)} ${col("rate", 0, 16)} ${col("cpuPerCall", 3, 16)} ${fmt(rss.get(t.name)!, 0).padStart(8)}`);
    }
    const ok = (met: boolean) => (met ? "met" : "NOT met");
    for (const name of ["raw forwarder", "bare SDK proxy", "mcpgov"]) {
      lines.push(
        `  ${name}: added p50 ${fmt(m(name, "p50") - m("direct", "p50"), 2)} ms, p99 ${fmt(m(name, "p99") - m("direct", "p99"), 2)} ms over direct; ` +
          `throughput ${fmt(m(name, "rate") / m("direct", "rate"), 2)}× direct, ${fmt(m(name, "rate") / m("raw forwarder", "rate"), 2)}× raw, ${fmt(m(name, "rate") / m("bare SDK proxy", "rate"), 2)}× SDK proxy; ` +
          `CPU/call ${fmt(m(name, "cpuPerCall") / m("raw forwarder", "cpuPerCall"), 2)}× raw, ${fmt(m(name, "cpuPerCall") / m("bare SDK proxy", "cpuPerCall"), 2)}× SDK proxy`,
      );
    }
    const cpuRatio = m("mcpgov", "cpuPerCall") / m("raw forwarder", "cpuPerCall");
    const added = m("mcpgov", "p50") - m("direct", "p50");
    const rateRatio = m("mcpgov", "rate") / m("raw forwarder", "rate");
    lines.push(
      `  goals: CPU per call ≤ 2× raw: ${fmt(cpuRatio, 2)}× ${ok(cpuRatio <= 2)}; added p50 ≤ 0.5 ms: ${fmt(added, 2)} ms ${ok(added <= 0.5)}; throughput ≥ 0.5× raw: ${fmt(rateRatio, 2)}× ${ok(rateRatio >= 0.5)}`,
    );
    return lines;
  } finally {
    agent.destroy();
    traces?.server.close();
    for (const c of children) c.kill("SIGTERM");
  }
}
