/** @module Everything a gateway request handler needs, built once by the composition root. */
import type { Logger } from "../logger.js";
import type { AuditStore } from "../audit/audit-store.js";
import type { ApprovalMetrics } from "../approvals/approval-metrics.js";
import type { ApprovalService } from "../approvals/approval-service.js";
import type { QuarantineStore } from "../quarantine/quarantine-store.js";
import type { Upstream } from "../upstream/upstream.js";
import type { BundleManager } from "./bundle-manager.js";
import type { LoadedGatewayConfig } from "./config.js";
import type { GatewayMetrics } from "./metrics.js";
import type { Registry } from "./registry.js";
import type { ServerRequestRelay } from "./server-requests.js";
import type { ToolCatalog } from "./tool-catalog.js";
import type { CatalogFindingEvent } from "./definition-guard.js";
import type { CallDrain } from "./drain.js";
import type { DecisionLogSink } from "./decision-log-shipper.js";
import type { Tracing } from "../telemetry/call-trace.js";

export interface GatewayContext {
  config: LoadedGatewayConfig;
  registry: Registry;
  bundles: BundleManager;
  audit: AuditStore;
  /** Outputs the output policy withheld, kept for a reviewer. */
  quarantine: QuarantineStore;
  metrics: GatewayMetrics;
  logger: Logger;
  upstreams: ReadonlyMap<string, Upstream>;
  catalogs: ReadonlyMap<string, ToolCatalog>;
  clock: () => Date;
  /** Routes servers' sampling and elicitation requests to the client whose call is running. */
  relay: ServerRequestRelay;
  approvals: ApprovalService;
  approvalMetrics: ApprovalMetrics;
  /** Records a definition the catalog policy flagged or hid (metrics, audit event, log). */
  onCatalogFinding?: (event: CatalogFindingEvent) => void;
  /** Ships each durable call record to a decision-log collector (decision_logs in the config). */
  decisionLogs?: DecisionLogSink;
  /** Traces of mediated requests (config `tracing` or OTEL_*); absent when tracing is off. */
  tracing?: Tracing;
  /** Tracks running calls for graceful shutdown (absent in pipeline unit tests: nothing drains there). */
  drain?: CallDrain;
}
