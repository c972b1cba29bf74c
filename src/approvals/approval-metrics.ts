/** @module Prometheus metrics of the approval service, on the gateway's registry. */
import { Counter, Gauge, Summary, type Registry } from "prom-client";
import type { ApprovalStore } from "./approval-store.js";

export function createApprovalMetrics(registry: Registry, store: () => ApprovalStore | undefined) {
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
    queueWait: new Summary({
      name: "mcpgov_approval_queue_wait_seconds",
      help: "Time from an approval request's creation to an approver's decision (median and p95 over the last 10 minutes)",
      percentiles: [0.5, 0.95],
      maxAgeSeconds: 600,
      ageBuckets: 5,
      labelNames: ["decision"] as const,
      registers: [registry],
    }),
    created: new Counter({ name: "mcpgov_approvals_created_total", help: "Approval requests created, by group", labelNames: ["group"] as const, registers: [registry] }),
    decided: new Counter({ name: "mcpgov_approvals_decided_total", help: "Approver decisions, by decision", labelNames: ["decision"] as const, registers: [registry] }),
    expired: new Counter({ name: "mcpgov_approvals_expired_total", help: "Approval requests that expired before they were decided or used", registers: [registry] }),
    voided: new Counter({ name: "mcpgov_approvals_voided_total", help: "Approval requests voided because another bundle became active", registers: [registry] }),
    executed: new Counter({ name: "mcpgov_approvals_executed_total", help: "Calls run on an approval", registers: [registry] }),
    unapprovedHighRisk: new Counter({
      name: "mcpgov_unapproved_high_risk_writes_total",
      help: "Executed write or destructive calls to servers tagged prod without an approval; must stay 0",
      labelNames: ["server"] as const,
      registers: [registry],
    }),
  };
}

export type ApprovalMetrics = ReturnType<typeof createApprovalMetrics>;
