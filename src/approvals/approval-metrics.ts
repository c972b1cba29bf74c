/** @module Prometheus metrics of the approval service, on the gateway's registry. */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { ApprovalStore } from "./approval-store.js";

/** Seconds; the seed's gate reads the median against 10 min (target) and 20 min (block). */
const QUEUE_WAIT_BUCKETS = [10, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 14400, 86400];

/**
 * `servers`: the registered ids; their unapproved-writes series exist at 0
 * from the start, so a first unapproved write is an increase Prometheus
 * sees (a series born at 1 has no increase).
 */
export function createApprovalMetrics(registry: Registry, store: () => ApprovalStore | undefined, servers: readonly string[] = []) {
  const unapprovedHighRisk = new Counter({
    name: "mcpgov_unapproved_high_risk_writes_total",
    help: "Executed write or destructive calls to servers tagged prod without an approval; must stay 0",
    labelNames: ["server"] as const,
    registers: [registry],
  });
  for (const server of servers) unapprovedHighRisk.inc({ server }, 0);
  return {
    pending: new Gauge({
      name: "mcpgov_approvals_pending",
      help: "Approval requests waiting for an approver",
      registers: [registry],
      async collect() {
        const current = store();
        if (current) this.set((await current.countByState()).pending);
      },
    }),
    queueWait: new Histogram({
      name: "mcpgov_approval_queue_wait_seconds",
      help: "Time from an approval request's creation to an approver's decision; a histogram, so a fleet's quantiles aggregate (histogram_quantile over sum by (le))",
      buckets: QUEUE_WAIT_BUCKETS,
      labelNames: ["decision"] as const,
      registers: [registry],
    }),
    created: new Counter({ name: "mcpgov_approvals_created_total", help: "Approval requests created, by group", labelNames: ["group"] as const, registers: [registry] }),
    decided: new Counter({ name: "mcpgov_approvals_decided_total", help: "Approver decisions, by decision", labelNames: ["decision"] as const, registers: [registry] }),
    expired: new Counter({ name: "mcpgov_approvals_expired_total", help: "Approval requests that expired before they were decided or used", registers: [registry] }),
    voided: new Counter({ name: "mcpgov_approvals_voided_total", help: "Approval requests voided because another bundle became active", registers: [registry] }),
    executed: new Counter({ name: "mcpgov_approvals_executed_total", help: "Calls run on an approval", registers: [registry] }),
    unapprovedHighRisk,
  };
}

export type ApprovalMetrics = ReturnType<typeof createApprovalMetrics>;
