/**
 * @module End-to-end gateway fixtures: a temp workspace (sandbox, memory
 * file, rug-pull state and events), a config YAML with its lock pinned
 * from the live servers, a reference bundle built into the workspace, the
 * gateway started in-process on 127.0.0.1:0, and SDK clients connected to it.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { stringify } from "yaml";
import type { AuditQuery } from "../../src/audit/audit-store.js";
import { isCallRecord, type AuditRecord, type CallRecord } from "../../src/core/audit-record.js";
import { loadGatewayConfig } from "../../src/gateway/config.js";
import { type RunningGateway, startGateway } from "../../src/gateway/gateway.js";
import { pinServers } from "../../src/gateway/pin-servers.js";
import { emptyLock, writeLockFile } from "../../src/gateway/pins.js";
import type { Logger } from "../../src/logger.js";
import { buildBundle } from "../../src/toolchain/build.js";
import { copyReference, tempDir } from "./bundles.js";
import { RUG_PULL_SERVER, serverScript } from "./rug-pull.js";

/** API keys of the test clients; the gateway reads them from these variables. */
export const KEYS = {
  alice: "alice-e2e-key-0123456789abcdef",
  admin: "admin-e2e-key-fedcba9876543210",
  bob: "bob-e2e-approver-key-0011223344",
  carol: "carol-e2e-approver-key-5566778899",
} as const;
/**
 * The scopes the reference pack's require-scope rule asks of each action;
 * every test key carries all three unless a test says otherwise.
 */
export const ALL_SCOPES = ["mcp:read", "mcp:write", "mcp:destructive"] as const;
export const KEY_ENV: Record<string, string> = {
  MCPGOV_E2E_KEY_ALICE: KEYS.alice,
  MCPGOV_E2E_KEY_ADMIN: KEYS.admin,
  MCPGOV_E2E_KEY_BOB: KEYS.bob,
  MCPGOV_E2E_KEY_CAROL: KEYS.carol,
};

/** Everything a test writes lives here; `rm` removes it all. */
export interface Workspace {
  dir: string;
  /** The filesystem server's only directory. */
  sandbox: string;
  memoryFile: string;
  rugState: string;
  rugEvents: string;
  dataDir: string;
  configPath: string;
  lockPath: string;
  bundlePath: string;
}

export async function createWorkspace(): Promise<Workspace> {
  // realpath: the filesystem server compares resolved paths.
  const dir = realpathSync(await tempDir("mcpgov-e2e-"));
  const sandbox = join(dir, "sandbox");
  mkdirSync(sandbox);
  const ws: Workspace = {
    dir,
    sandbox,
    memoryFile: join(dir, "memory.jsonl"),
    rugState: join(dir, "rug-state.json"),
    rugEvents: join(dir, "rug-events.jsonl"),
    dataDir: join(dir, "data"),
    configPath: join(dir, "mcpgov.yaml"),
    lockPath: join(dir, "mcpgov.lock.json"),
    bundlePath: join(dir, "bundle.tar.gz"),
  };
  writeFileSync(ws.rugState, "{}");
  return ws;
}

/** Builds the reference policy into `output`, optionally with other limits for non-production writes. */
export async function buildReferenceBundle(
  output: string,
  options: { maxRuntimeSec?: number; revision?: string; productionWrite?: Record<string, unknown> } = {},
): Promise<string> {
  const scratch = await tempDir("mcpgov-e2e-policy-");
  try {
    const policy = await copyReference(scratch);
    if (options.maxRuntimeSec !== undefined || options.productionWrite !== undefined) {
      const dataPath = join(policy, "mcpgov", "config", "data.json");
      const data = JSON.parse(await readFile(dataPath, "utf8")) as { non_prod_write: { max_runtime_sec: number }; production_write: Record<string, unknown> };
      if (options.maxRuntimeSec !== undefined) data.non_prod_write.max_runtime_sec = options.maxRuntimeSec;
      // Constraints the production-write rule hands to approvals (approver_group, approval_timeout_sec…).
      if (options.productionWrite !== undefined) data.production_write = { ...data.production_write, ...options.productionWrite };
      await writeFile(dataPath, JSON.stringify(data));
    }
    await buildBundle({ policyDir: policy, output, revision: options.revision ?? "e2e" });
    return output;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// ---- registry entries (as written in mcpgov.yaml) -------------------------

type ServerSpec = Record<string, unknown> & { id: string };

/** server-filesystem on the sandbox, tagged prod. */
export function filesystemServer(ws: Workspace): ServerSpec {
  return {
    id: "filesystem",
    environment: "prod",
    risk_tags: ["prod"],
    transport: { type: "stdio", command: process.execPath, args: [serverScript("filesystem"), ws.sandbox] },
    roots: [ws.sandbox],
    tools: { read_text_file: "read", list_directory: "read", list_allowed_directories: "read", write_file: "write", edit_file: "write" },
  };
}

/** server-memory keeping its graph in the workspace, tagged non_prod unless told otherwise. */
export function memoryServer(ws: Workspace, riskTags: string[] = ["non_prod"]): ServerSpec {
  return {
    id: "memory",
    environment: riskTags.includes("prod") ? "prod" : "staging",
    risk_tags: riskTags,
    transport: { type: "stdio", command: process.execPath, args: [serverScript("memory")], env: { MEMORY_FILE_PATH: ws.memoryFile } },
    tools: { read_graph: "read", search_nodes: "read", open_nodes: "read", create_entities: "write", add_observations: "write", delete_entities: "destructive" },
  };
}

/** server-everything over stdio, non_prod; its long-running tool counts as a read. */
export function everythingServer(): ServerSpec {
  return {
    id: "everything",
    environment: "staging",
    risk_tags: ["non_prod"],
    transport: { type: "stdio", command: process.execPath, args: [serverScript("everything"), "stdio"] },
    tools: { echo: "read", "trigger-long-running-operation": "read" },
  };
}

/** The rug-pull server over stdio, with its state and events files in the workspace. */
export function rugServer(ws: Workspace, fields: Record<string, unknown> = {}): ServerSpec {
  return {
    id: "rug",
    environment: "staging",
    risk_tags: ["non_prod"],
    transport: { type: "stdio", command: process.execPath, args: [RUG_PULL_SERVER], env: { RUG_PULL_STATE: ws.rugState, RUG_PULL_EVENTS: ws.rugEvents } },
    tools: { echo: "read", pid: "read", announce: "read", crash: "read", slow: "write" },
    ...fields,
  };
}

// ---- config, pins, gateway -------------------------------------------------

export interface ConfigOptions {
  servers: ServerSpec[];
  /** Defaults to ws.bundlePath (which the caller builds or copies). */
  bundle?: string;
  limits?: { max_body_bytes?: number; upstream_timeout_sec?: number };
  /** Pin every server's live tools into the lock (default true). */
  pin?: boolean;
  /** Environment for secrets the servers' config refers to. */
  env?: Record<string, string>;
  /** The approvals section; by default calls do not wait (wait_sec 0) so a held call answers at once. */
  approvals?: Record<string, unknown>;
  /** API keys beyond alice and admin (their key_env must be in the gateway's env). */
  keys?: Array<Record<string, unknown>>;
  /** The config's `output` section. */
  output?: Record<string, unknown>;
  /** Further top-level keys (admin_auth, listen…), set over the defaults above. */
  extra?: Record<string, unknown>;
}

/** Writes mcpgov.yaml (and, unless told not to, the lock pinned from the live servers). */
export async function writeGatewayConfig(ws: Workspace, options: ConfigOptions): Promise<void> {
  const config = {
    listen: { host: "127.0.0.1", port: 0 },
    data_dir: ws.dataDir,
    bundle: options.bundle ?? ws.bundlePath,
    auth: {
      mode: "api_keys",
      keys: [
        { id: "alice", key_env: "MCPGOV_E2E_KEY_ALICE", subject: "alice", tenant: "acme", roles: ["developer"], scopes: ["tools:call", ...ALL_SCOPES] },
        { id: "admin", key_env: "MCPGOV_E2E_KEY_ADMIN", subject: "ops", tenant: "acme", roles: ["sre", "mcpgov-admin"], scopes: [...ALL_SCOPES] },
        // Approvers may also call tools: that is how "never your own request" gets tested.
        { id: "bob", key_env: "MCPGOV_E2E_KEY_BOB", subject: "bob", tenant: "acme", roles: ["approver"], scopes: ["tools:call", ...ALL_SCOPES] },
        { id: "carol", key_env: "MCPGOV_E2E_KEY_CAROL", subject: "carol", tenant: "acme", roles: ["security-approver"], scopes: ["tools:call", ...ALL_SCOPES] },
        // A key a test adds gets every scope unless the test names its scopes.
        ...(options.keys ?? []).map((key) => ({ scopes: ["tools:call", ...ALL_SCOPES], ...key })),
      ],
    },
    limits: { max_body_bytes: 256 * 1024, upstream_timeout_sec: 60, ...options.limits },
    approvals: { wait_sec: 0, ...options.approvals },
    ...(options.output ? { output: options.output } : {}),
    servers: options.servers,
    ...options.extra,
  };
  await writeFile(ws.configPath, stringify(config));
  if (options.pin !== false) {
    const loaded = await loadGatewayConfig(ws.configPath, { env: { ...KEY_ENV, ...options.env } });
    const { lock } = await pinServers(loaded.servers, emptyLock(), { env: { ...options.env } });
    await writeLockFile(loaded.source.lock_path, lock);
  }
}

export interface TestGateway {
  ws: Workspace;
  gateway: RunningGateway;
  url: string;
  /** An SDK client connected to /mcp/{serverId}; closed with the gateway. */
  connect(serverId: string, key?: string, onClient?: (client: Client) => void): Promise<Client>;
  /** fetch against the gateway (path relative to its URL). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** One sample of a Prometheus metric (0 when absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Audit records of every kind (intents, calls, events) matching the filter. */
  records(filter?: AuditQuery): Promise<AuditRecord[]>;
  /** Only the call (outcome) records matching the filter: one per answered call, whether or not an intent preceded it. */
  calls(filter?: Omit<AuditQuery, "kind">): Promise<CallRecord[]>;
  close(): Promise<void>;
}

export async function startTestGateway(
  ws: Workspace,
  options: { env?: Record<string, string>; logger?: Logger; clock?: () => Date } = {},
): Promise<TestGateway> {
  const env = { ...KEY_ENV, ...options.env };
  const config = await loadGatewayConfig(ws.configPath, { env });
  const gateway = await startGateway(config, { env, ...(options.logger ? { logger: options.logger } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const url = gateway.url!;
  const clients: Client[] = [];
  let closed = false;
  return {
    ws,
    gateway,
    url,
    async connect(serverId, key = KEYS.alice, onClient) {
      const client = new Client({ name: "e2e-client", version: "1.0.0" });
      onClient?.(client);
      const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp/${serverId}`), {
        requestInit: { headers: { Authorization: `Bearer ${key}` } },
      });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    fetch: (path, init) => fetch(`${url}${path}`, init),
    async metric(name, labels = {}) {
      const text = await (await fetch(`${url}/metrics`)).text();
      return metricValue(text, name, labels);
    },
    async records(filter = {}) {
      const out: AuditRecord[] = [];
      for await (const record of gateway.ctx.audit.query(filter)) out.push(record);
      return out;
    },
    async calls(filter = {}) {
      const out: CallRecord[] = [];
      for await (const record of gateway.ctx.audit.query({ ...filter, kind: "call" })) if (isCallRecord(record)) out.push(record);
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await gateway.close();
    },
  };
}

/** Sums the samples of `name` whose labels include `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(labels).every(([k, v]) => present.get(k) === v)) total += Number(match[3]);
  }
  return total;
}

// ---- results -----------------------------------------------------------------

export interface DecisionMeta {
  call_id: string;
  decision: string;
  rules: string[];
  reason: string;
  bundle: { hash: string; revision: string };
  constraints?: Record<string, unknown>;
  approval_id?: string;
}

export interface ToolResult {
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

export function textOf(result: unknown): string {
  return ((result as ToolResult).content ?? []).map((c) => c.text ?? "").join("\n");
}

/** The gateway's decision on a refused call; fails the test when absent. */
export function decisionOf(result: unknown): DecisionMeta {
  const meta = (result as ToolResult)._meta?.["mcpgov/decision"];
  if (!meta) throw new Error(`no mcpgov/decision in ${JSON.stringify(result)}`);
  return meta as DecisionMeta;
}

/** The rug-pull server's events so far (one object per line). */
export function rugEvents(ws: Workspace): Array<{ event: string; tool?: string; arguments?: Record<string, unknown>; pid: number }> {
  if (!existsSync(ws.rugEvents)) return [];
  return readFileSync(ws.rugEvents, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { event: string; pid: number });
}

/** Headers for raw MCP POSTs to the gateway; `null` sends no Authorization header. */
export function mcpHeaders(key: string | null = KEYS.alice, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...extra,
  };
}

export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
};

/** The teardown every gateway test file needs: close the gateway and its clients, then remove the workspace. */
export async function disposeGateway(gw: TestGateway | undefined, ws: Workspace | undefined): Promise<void> {
  await gw?.close();
  if (ws) await rm(ws.dir, { recursive: true, force: true });
}

/** A workspace with the reference bundle built into it, as most gateway tests start. */
export async function referenceWorkspace(options: { maxRuntimeSec?: number; productionWrite?: Record<string, unknown> } = {}): Promise<Workspace> {
  const ws = await createWorkspace();
  await buildReferenceBundle(ws.bundlePath, options);
  return ws;
}
