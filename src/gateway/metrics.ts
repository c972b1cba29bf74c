/**
 * @module Prometheus metrics of the gateway (prom-client), one registry per
 * gateway. Label values stay bounded: `server` is a registered id or
 * "unknown" (never a string from a URL), and everything a fleet must
 * aggregate is a counter or a histogram, not a summary.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { SlidingRatio } from "./sliding-ratio.js";

/** The one `server` label value for anything not in the registry. */
export const UNKNOWN_SERVER_LABEL = "unknown";

/** The window of mcpgov_output_quarantine_ratio, as the seed's gate reads it ("> 3% for 15m"). */
export const QUARANTINE_RATIO_WINDOW_MIN = 15;

export interface MetricsOptions {
  /** Registered server ids: the only `server` label values besides "unknown". */
  servers?: readonly string[];
  /** Milliseconds since the epoch, for the windowed ratio (tests move it). */
  now?: () => number;
}

/** Where the held-items gauge reads its numbers; bound once the quarantine store is open. */
export interface QuarantineCounts {
  countByState(): Promise<Record<string, number>>;
}

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const known = new Set(options.servers ?? []);
  let quarantineSource: QuarantineCounts | undefined;
  let activeBundle: (() => { hash: string; revision: string }) | undefined;
  const quarantineWindow = new SlidingRatio(QUARANTINE_RATIO_WINDOW_MIN, options.now);
  const outputVerdicts = new Counter({
    name: "mcpgov_output_verdicts_total",
    help: "Output policy verdicts on executed calls (PASS, REDACT, QUARANTINE); the quarantine ratio is QUARANTINE over the sum",
    labelNames: ["verdict", "server"] as const,
    registers: [registry],
  });
  return {
    registry,
    /** The `server` label value for an id: itself when registered, else "unknown" (one series, however many ids clients invent). */
    serverLabel(id: string): string {
      return known.has(id) ? id : UNKNOWN_SERVER_LABEL;
    },
    /** Counts an output verdict, and feeds the windowed quarantine ratio. */
    recordOutputVerdict(verdict: string, server: string): void {
      outputVerdicts.inc({ verdict, server: known.has(server) ? server : UNKNOWN_SERVER_LABEL });
      quarantineWindow.record(verdict === "QUARANTINE");
    },
    decisionLatency: new Histogram({
      name: "mcpgov_decision_latency_seconds",
      help: "Time to decide a tool call in the policy engine",
      // Up to seconds: the rollout gate blocks above 150 ms, and a quantile past the last finite bucket would read as that bucket.
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    decisions: new Counter({
      name: "mcpgov_decisions_total",
      help: "Tool call decisions by decision type and deciding rule",
      labelNames: ["decision", "rule", "server"] as const,
      registers: [registry],
    }),
    blocked: new Counter({
      name: "mcpgov_blocked_calls_total",
      help: "Tool calls that did not reach the upstream, by reason",
      labelNames: ["reason", "server"] as const,
      registers: [registry],
    }),
    unknownServer: new Counter({
      name: "mcpgov_unknown_server_attempts_total",
      help: "Attempts to reach a server that is not in the registry",
      registers: [registry],
    }),
    pinViolations: new Counter({
      name: "mcpgov_pin_violations_total",
      help: "Tools hidden or calls denied because a tool definition changed or was never pinned",
      labelNames: ["server", "kind"] as const,
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: "mcpgov_upstream_errors_total",
      help: "Upstream transport failures, timeouts and crashes",
      labelNames: ["server", "kind"] as const,
      registers: [registry],
    }),
    upstreamLatency: new Histogram({
      name: "mcpgov_upstream_latency_seconds",
      help: "Time the upstream took to answer a forwarded tool call",
      labelNames: ["server"] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    bundleSwaps: new Counter({
      name: "mcpgov_bundle_swaps_total",
      help: "Bundle swaps by result",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    outputVerdicts,
    outputQuarantineRatio: new Gauge({
      name: "mcpgov_output_quarantine_ratio",
      help: `QUARANTINE verdicts over all output verdicts in this gateway's last ${QUARANTINE_RATIO_WINDOW_MIN} minutes (0 when there were none); across a fleet use rate() over mcpgov_output_verdicts_total`,
      registers: [registry],
      collect() {
        this.set(quarantineWindow.ratio());
      },
    }),
    bundleInfo: new Gauge({
      name: "mcpgov_bundle_info",
      help: "1 for the policy bundle this gateway runs, labelled with its hash and revision (one series; a swap replaces it)",
      labelNames: ["hash", "revision"] as const,
      registers: [registry],
      collect() {
        if (!activeBundle) return;
        const { hash, revision } = activeBundle();
        // Read at each scrape: the old bundle's series goes with the swap, never two at once.
        this.reset();
        this.set({ hash, revision }, 1);
      },
    }),
    /** Lets mcpgov_bundle_info read the active bundle, which opens after the metrics exist. */
    watchBundle(source: () => { hash: string; revision: string }): void {
      activeBundle = source;
    },
    quarantineHeld: new Gauge({
      name: "mcpgov_quarantine_held",
      help: "Withheld outputs waiting for a reviewer (NaN when the store cannot be read)",
      registers: [registry],
      async collect() {
        if (!quarantineSource) return;
        try {
          this.set((await quarantineSource.countByState())["held"] ?? 0);
        } catch {
          this.set(Number.NaN);
        }
      },
    }),
    quarantineReviews: new Counter({
      name: "mcpgov_quarantine_reviews_total",
      help: "Reviewer decisions on quarantined outputs (released, discarded), deliveries of released outputs, and content deleted by retention (expired)",
      labelNames: ["action"] as const,
      registers: [registry],
    }),
    /** Lets the gauges read the quarantine store, which opens after the metrics exist. */
    watchQuarantine(source: QuarantineCounts): void {
      quarantineSource = source;
    },
    activeSessions: new Gauge({
      name: "mcpgov_active_sessions",
      help: "Open client sessions",
      registers: [registry],
    }),
    catalogFindings: new Counter({
      name: "mcpgov_catalog_findings_total",
      help: "Definition scanner findings on listed tools, prompts and resources, by the catalog policy's decision on the definition (PASS, FLAG, HIDE); counted once per distinct verdict",
      labelNames: ["server", "decision"] as const,
      registers: [registry],
    }),
    auditEventWriteFailures: new Counter({
      name: "mcpgov_audit_event_write_failures_total",
      help: "Audit event records (approval and review steps, pin violations, unknown servers…) that could not be written, by event",
      labelNames: ["event"] as const,
      registers: [registry],
    }),
    decisionLogsSent: new Counter({
      name: "mcpgov_decision_logs_sent_total",
      help: "Decision-log events the collector accepted",
      registers: [registry],
    }),
    decisionLogsDropped: new Counter({
      name: "mcpgov_decision_logs_dropped_total",
      help: "Decision-log events never shipped, by reason (buffer_full: the oldest gave way; too_large; shutdown: left at close; error); the audit chain still holds them",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    decisionLogsUploadFailures: new Counter({
      name: "mcpgov_decision_logs_upload_failures_total",
      help: "Decision-log uploads that failed (network error, timeout, non-2xx); their events are retried with backoff",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    decisionLogsBuffered: new Gauge({
      name: "mcpgov_decision_logs_buffered",
      help: "Decision-log events waiting for upload (including an upload in flight)",
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createMetrics>;
