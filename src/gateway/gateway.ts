/**
 * @module The gateway's composition root: config → registry, upstreams,
 * pins, bundle, audit store, metrics → the HTTP server. No decisions here.
 */
import { readFile } from "node:fs/promises";
import { type AddressInfo } from "node:net";
import { resolve } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { expireQuarantine } from "./quarantine-review.js";
import { createApprovalMetrics } from "../approvals/approval-metrics.js";
import { ApprovalService } from "../approvals/approval-service.js";
import { approvalWebhook } from "../approvals/webhook.js";
import { openStores } from "./open-stores.js";
import { mediateServerRequest } from "./call-pipeline.js";
import { appendEvent } from "../audit/audit-event.js";
import { describeThrown } from "../core/errors.js";
import type { Logger } from "../logger.js";
import { silentLogger } from "../logger.js";
import { createUpstream } from "../upstream/create-upstream.js";
import type { Upstream } from "../upstream/upstream.js";
import { audiencesFor, canonicalBase } from "../core/oauth-resource.js";
import { apiKeyAuthenticator, type Authenticator, jwtAuthenticator, noAuthenticator } from "./auth.js";
import { BundleManager } from "./bundle-manager.js";
import { startBundlePolling } from "./bundle-poller.js";
import { loadSignatureVerification } from "../bundle/signing.js";
import type { LoadedGatewayConfig } from "./config.js";
import type { GatewayContext } from "./context.js";
import { createHttpApp } from "./http-app.js";
import { type CatalogFindingEvent, catalogView } from "./definition-guard.js";
import { createMetrics } from "./metrics.js";
import { metricsAccess } from "./metrics-auth.js";
import { CallDrain, type DrainResult } from "./drain.js";
import { startDecisionLogShipper } from "./decision-log-shipper.js";
import { gatewayLabels, mcpgovVersion } from "../audit/decision-log.js";
import type { Tracing } from "../telemetry/call-trace.js";
import { tracingSettings } from "../telemetry/tracing-settings.js";
import { type LockFile, type PinViolation, readLockFile } from "./pins.js";
import { Registry } from "./registry.js";
import { resolveApiKeys } from "../config/secrets.js";
import { ServerRequestRelay } from "./server-requests.js";
import { SessionRegistry } from "./sessions.js";
import type { ChangedList, ListChangeSubscription } from "./aggregate/aggregate-server.js";
import { GatewayHeartbeat, gatewayIdFor } from "./heartbeat.js";
import { ToolCatalog } from "./tool-catalog.js";

/** How often held and released outputs are checked against output.retention_hours. */
const QUARANTINE_SWEEP_MS = 60_000;

export interface GatewayOptions {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  clock?: () => Date;
  /** Whether to listen on HTTP (stdio mode does not). */
  http?: boolean;
  /** Only these servers get upstreams (stdio mode serves one). */
  only?: string[];
}

export interface RunningGateway {
  ctx: GatewayContext;
  url: string | undefined;
  /**
   * Called after a server's tools were listed and checked again (it
   * announced a change or restarted), so sessions the gateway does not
   * hold itself (stdio mode) can tell their client. Returns the unsubscribe.
   */
  onToolsChanged(listener: (serverId: string) => void): () => void;
  /**
   * Called when a server's tools (listed and checked again, as for
   * onToolsChanged), prompts or resources changed, for aggregated sessions
   * (`mcpgov stdio` without --server). Returns the unsubscribe.
   */
  onListChanged: ListChangeSubscription;
  /** Starts draining at once: /readyz answers 503 and new sessions are refused (calls running go on). */
  beginDrain(): void;
  /**
   * Graceful shutdown: drains (calls running get shutdown.grace_sec to
   * finish, the rest are cancelled upstream and recorded), then closes
   * everything as close() does. Resolves with what the drain did.
   */
  shutdown(): Promise<DrainResult>;
  /** Closes at once: calls still running are aborted. */
  close(): Promise<void>;
}

async function authenticatorFor(config: LoadedGatewayConfig, auth: LoadedGatewayConfig["auth"], env: Record<string, string | undefined>): Promise<Authenticator> {
  if (auth.mode === "none") return noAuthenticator({ id: "anonymous", roles: [], scopes: [...auth.scopes] });
  if (auth.mode === "api_keys") {
    const keys = await resolveApiKeys(auth, env);
    return apiKeyAuthenticator(keys.map((k) => ({ id: k.id, key: k.key, subject: k.subject, ...(k.tenant ? { tenant: k.tenant } : {}), roles: k.roles, scopes: k.scopes })));
  }
  const claims = { subject: auth.claims.subject, roles: auth.claims.roles, scopes: auth.claims.scopes, ...(auth.claims.tenant ? { tenant: auth.claims.tenant } : {}) };
  // A token for the whole gateway (its configured resource) is good on every route; endpoint resources are added per request.
  const audience = [...(auth.audience === undefined ? [] : [auth.audience].flat()), ...(auth.resource === undefined ? [] : audiencesFor(canonicalBase(auth.resource), ""))];
  return jwtAuthenticator({
    ...(auth.jwks_url ? { jwksUrl: auth.jwks_url } : {}),
    ...(auth.public_key_file ? { publicKeyPem: await readFile(resolve(config.source.dir, auth.public_key_file), "utf8") } : {}),
    ...(auth.shared_secret_env ? { sharedSecret: env[auth.shared_secret_env] ?? "" } : {}),
    ...(auth.algorithms ? { algorithms: auth.algorithms } : {}),
    issuer: auth.issuer,
    ...(audience.length > 0 ? { audience } : {}),
    clockToleranceSec: auth.clock_tolerance_sec,
    claims,
  });
}

/** Records a pin violation found while listing tools: an event, not a call (nobody called anything). */
async function auditPinViolation(ctx: GatewayContext, serverId: string, violation: PinViolation): Promise<void> {
  ctx.metrics.pinViolations.inc({ server: ctx.metrics.serverLabel(serverId), kind: violation.kind });
  const entry = ctx.registry.get(serverId);
  const reason = `mcpgov.pin-violation: tool "${violation.tool}" is ${violation.kind === "changed" ? "changed since it was pinned" : violation.kind} (${violation.actual}); hidden from tools/list`;
  await appendEvent({ audit: ctx.audit, logger: ctx.logger, failures: ctx.metrics.auditEventWriteFailures }, {
    event: "pin.violation",
    time: ctx.clock().toISOString(),
    server: serverId,
    tool: violation.tool,
    bundle: ctx.bundles.current().bundle,
    details: { kind: violation.kind, actual: violation.actual, rule: "mcpgov.pin-violation", reason, server_version: entry?.version },
  });
  ctx.logger.warn({ server: serverId, tool: violation.tool, kind: violation.kind }, "pin violation: tool hidden");
}

/**
 * A tool definition the catalog policy flagged or hid: counted and logged.
 * The audit event for it is wired with the audit record rework.
 */
function reportCatalogFinding(ctx: GatewayContext, event: CatalogFindingEvent): void {
  if (event.findings.length > 0) ctx.metrics.catalogFindings.inc({ server: ctx.metrics.serverLabel(event.server), decision: event.decision.decision }, event.findings.length);
  const findings = event.findings.map((f) => `${f.type}@${f.field}`);
  ctx.logger.warn(
    { server: event.server, [event.kind]: event.name, decision: event.decision.decision, rules: event.decision.rules, findings },
    event.decision.decision === "HIDE" ? `catalog policy: ${event.kind} hidden` : `catalog policy: ${event.kind} flagged`,
  );
  // Evidence of what a client was (not) offered: an event in the chain, with labels, never the definition's text.
  void appendEvent(
    { audit: ctx.audit, logger: ctx.logger, failures: ctx.metrics.auditEventWriteFailures },
    {
      event: "catalog.finding",
      time: ctx.clock().toISOString(),
      server: event.server,
      tool: event.name,
      bundle: ctx.bundles.current().bundle,
      details: { kind: event.kind, decision: event.decision.decision, rules: event.decision.rules.join(","), findings: findings.join(",").slice(0, 1_000) },
    },
  ).catch(() => undefined /* logged and counted by appendEvent; the verdict itself stands */);
}

/**
 * Tracing, when the config or the OTEL_* environment turns it on. The SDK
 * is imported only then: with tracing off no exporter exists, nothing of
 * OpenTelemetry is loaded, and each call gets the no-op trace.
 */
async function startTracing(config: LoadedGatewayConfig, env: Record<string, string | undefined>, logger: Logger): Promise<Tracing | undefined> {
  const settings = tracingSettings(config.tracing, env);
  if (!settings) return undefined;
  const { startOtelTracing } = await import("../telemetry/otel-tracing.js");
  const tracing = await startOtelTracing(settings, { env, configDir: config.source.dir, logger, version: mcpgovVersion() });
  const endpoint = new URL(settings.endpoint);
  // Origin and path only: a query string may carry a token.
  logger.info({ endpoint: `${endpoint.origin}${endpoint.pathname}`, service: settings.serviceName, sampler: settings.sampler.kind, ratio: settings.sampler.ratio }, "tracing on: spans are exported over OTLP/HTTP");
  return tracing;
}

export async function startGateway(config: LoadedGatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const metrics = createMetrics({ servers: config.servers.map((s) => s.id) });
  const tracing = await startTracing(config, env, logger);
  // Before any store opens: a missing header secret stops the start with nothing to close.
  const decisionLogs = config.decision_logs
    ? await startDecisionLogShipper(config.decision_logs, { env, configDir: config.source.dir }, { labels: gatewayLabels(config.gateway), metrics, logger })
    : undefined;
  let onBundleSwap = (): void => undefined;
  // Set once the audit store is open: swaps and refusals are events in the chain (a swap at start-up is not one).
  let auditBundleEvent = (_event: "bundle.swapped" | "bundle.refused", _details: Record<string, string>): void => undefined;
  const registry = new Registry(config.servers);
  const bundles = await BundleManager.open(resolve(config.source.dir, config.bundle), {
    onSwap: (previous, next, source) => {
      metrics.bundleSwaps.inc({ result: "swapped" });
      auditBundleEvent("bundle.swapped", { previous: previous.hash, previous_revision: previous.revision, source });
      onBundleSwap();
      logger.info({ previous: previous.hash, next: next.hash, source }, "bundle swapped");
    },
    onRefused: (source, reason) => {
      metrics.bundleSwaps.inc({ result: "refused" });
      auditBundleEvent("bundle.refused", { source, reason });
      logger.error({ source, reason }, "bundle refused; the previous bundle stays active");
    },
  }, {
    timeoutMs: config.limits.decision_timeout_ms,
    verification: config.bundle_signing ? await loadSignatureVerification(config.bundle_signing, config.source.dir) : undefined,
  });
  const { audit, quarantine, approvals: approvalStore } = await openStores(config, env);
  metrics.watchQuarantine(quarantine);
  metrics.watchBundle(() => bundles.current().bundle);
  // Fails at start on a malformed lock file rather than at the first refresh.
  await readLockFile(config.source.lock_path);
  const readLock = (): Promise<LockFile> => readLockFile(config.source.lock_path);
  const upstreams = new Map<string, Upstream>();
  const catalogs = new Map<string, ToolCatalog>();
  const relay = new ServerRequestRelay();
  const clock = options.clock ?? (() => new Date());
  const approvalMetrics = createApprovalMetrics(metrics.registry, () => approvalStore, config.servers.map((s) => s.id));
  const heartbeat = new GatewayHeartbeat({ store: approvalStore, gatewayId: gatewayIdFor(config.fleet.gateway_id), intervalMs: config.fleet.heartbeat_sec * 1000, bundle: () => bundles.current().bundle, clock, logger });
  const approvals = new ApprovalService({
    store: approvalStore,
    audit,
    config: config.approvals,
    activeBundle: () => bundles.current().bundle,
    clock,
    logger,
    metrics: approvalMetrics,
    auditFailures: metrics.auditEventWriteFailures,
    fleet: heartbeat,
    ...(config.approvals.webhook ? { announce: await approvalWebhook(config.approvals, env, logger) } : {}),
  });
  const drain = new CallDrain();
  const ctx: GatewayContext = { config, registry, bundles, audit, quarantine, metrics, logger, upstreams, catalogs, relay, clock, approvals, approvalMetrics, drain };
  if (decisionLogs) ctx.decisionLogs = decisionLogs;
  if (tracing) ctx.tracing = tracing;
  relay.mediator = mediateServerRequest(ctx);
  ctx.onCatalogFinding = (event) => reportCatalogFinding(ctx, event);
  auditBundleEvent = (event, details) =>
    void appendEvent(
      { audit, logger, failures: metrics.auditEventWriteFailures },
      { event, time: clock().toISOString(), bundle: bundles.current().bundle, details },
    ).catch(() => undefined /* logged and counted by appendEvent; the swap itself stands */);
  // A bundle swap voids the approvals the old bundle required (before anyone retries them), and expired ones go on schedule.
  // The new bundle is announced first, so no gateway takes its requests for orphans.
  onBundleSwap = () => void heartbeat.beat().then(() => approvals.sweep()).catch((error: unknown) => logger.error({ error: describeThrown(error) }, "approval sweep failed"));
  await heartbeat.start();
  await approvals.sweep();
  approvals.start();

  let sessions: SessionRegistry | undefined;
  const listChangedListeners = new Set<(serverId: string, list: ChangedList) => void>();
  const onListChanged: ListChangeSubscription = (listener) => {
    listChangedListeners.add(listener);
    return () => listChangedListeners.delete(listener);
  };
  const notifyListChanged = (serverId: string, list: ChangedList): void => {
    if (list === "tools") for (const session of sessions?.forServer(serverId) ?? []) void session.server.sendToolListChanged().catch(() => undefined);
    for (const listener of listChangedListeners) listener(serverId, list);
  };

  for (const entry of config.servers) {
    if (options.only && !options.only.includes(entry.id)) continue;
    const upstream = createUpstream(entry, { env, logger, requestTimeoutMs: config.limits.upstream_timeout_sec * 1000 });
    const catalog = new ToolCatalog(upstream, readLock, (violation) => void auditPinViolation(ctx, entry.id, violation).catch(() => undefined /* logged and counted by appendEvent */), {
      engine: () => bundles.current().isolated,
      view: (lock) => catalogView(entry.id, config.servers, lock),
      onFinding: (event) => reportCatalogFinding(ctx, event),
    });
    upstream.on((event) => {
      // Until the server is listed again after it comes back, none of its tools is vouched for.
      if (event.type === "exited") catalog.invalidate();
      if (event.type === "tools_list_changed" || event.type === "restarted") {
        // Check the pins before the client hears about it, so it never lists a changed tool.
        void catalog.refresh().then(() => notifyListChanged(entry.id, "tools"), () => undefined);
      }
      // Prompts and resources are listed (and decided) anew at each request: the client only needs telling.
      if (event.type === "prompts_list_changed" || event.type === "restarted") notifyListChanged(entry.id, "prompts");
      if (event.type === "resources_list_changed" || event.type === "restarted") notifyListChanged(entry.id, "resources");
      if (event.type === "exited" || event.type === "gave_up") metrics.upstreamErrors.inc({ server: entry.id, kind: event.type });
      logger.info({ server: entry.id, event: event.type }, "upstream event");
    });
    relay.attach(upstream);
    upstreams.set(entry.id, upstream);
    catalogs.set(entry.id, catalog);
  }

  // Upstreams that fail to start do not stop the gateway: readiness says so, and calls to them fail cleanly.
  await Promise.all(
    [...upstreams.values()].map(async (upstream) => {
      try {
        await upstream.connect();
        await catalogs.get(upstream.id)!.refresh();
      } catch (error) {
        logger.error({ server: upstream.id, error: describeThrown(error) }, "upstream did not start");
      }
    }),
  );
  bundles.watch();
  const poller = config.bundle_source ? startBundlePolling(config.bundle_source, bundles, { logger, metrics }) : undefined;

  // Retention: withheld content does not outlive output.retention_hours.
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = sweeping.then(() => expireQuarantine(ctx)).catch((error: unknown) => logger.error({ error: describeThrown(error) }, "quarantine retention sweep failed"));
  };
  sweep();
  const sweeper = setInterval(sweep, QUARANTINE_SWEEP_MS);
  sweeper.unref();

  let server: ServerType | undefined;
  let url: string | undefined;
  if (options.http !== false) {
    const auth = await authenticatorFor(config, config.auth, env);
    const adminAuth = config.admin_auth ? await authenticatorFor(config, config.admin_auth, env) : auth;
    const scrapeAccess = metricsAccess(config.metrics, env);
    sessions = new SessionRegistry(ctx, { onListChanged });
    const app = createHttpApp({
      ctx,
      auth,
      adminAuth,
      sessions,
      ready: () => {
        const states = Object.fromEntries([...upstreams.values()].map((u) => [u.id, u.state]));
        const detail = { gateway: heartbeat.gatewayId, bundle: bundles.current().bundle, upstreams: states, ...(drain.draining ? { draining: true } : {}) };
        return { ok: !drain.draining && Object.values(states).every((s) => s === "connected"), detail };
      },
      draining: () => drain.draining,
      metricsAccess: scrapeAccess,
    });
    server = await new Promise<ServerType>((resolvePromise) => {
      const s = serve({ fetch: app.fetch, hostname: config.listen.host, port: config.listen.port }, () => resolvePromise(s));
    });
    const address = server.address() as AddressInfo;
    url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  }

  const running: RunningGateway = {
    ctx,
    url,
    onToolsChanged(listener) {
      return onListChanged((serverId, list) => {
        if (list === "tools") listener(serverId);
      });
    },
    onListChanged,
    beginDrain() {
      drain.begin();
    },
    async shutdown() {
      drain.begin();
      logger.info({ in_flight: drain.inFlight, grace_sec: config.shutdown.grace_sec }, "draining: readyz is 503, new sessions are refused");
      const result = await drain.drain(config.shutdown.grace_sec);
      // The last answers leave through the sessions' streams before those close.
      await new Promise<void>((r) => setTimeout(r, 50));
      await running.close();
      return result;
    },
    async close() {
      await poller?.stop();
      bundles.close();
      await sessions?.closeAll();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      await Promise.all([...upstreams.values()].map((u) => u.close().catch(() => undefined)));
      await heartbeat.stop();
      await approvals.close();
      // No call runs any more: ship what fits in decision_logs.shutdown_flush_ms.
      await ctx.decisionLogs?.close();
      // Every request's span has ended: export what is batched, then stop the exporter.
      await ctx.tracing?.shutdown();
      clearInterval(sweeper);
      await sweeping;
      await audit.close();
      await quarantine.close();
    },
  };
  return running;
}

