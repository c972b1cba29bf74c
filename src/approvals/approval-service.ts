/**
 * @module The approval service: opens requests for `REQUIRE_APPROVAL`
 * calls, routes them to a group's queue, lets approvers decide, expires and
 * voids them, and turns an approval into exactly one execution. Every step
 * leaves an audit record linked by the approval id.
 *
 * Waiting calls learn of a decision from this process at once and from the
 * store by polling, so a decision written by another process (the CLI on the
 * store, another gateway) is seen too.
 *
 * In a fleet (gateways sharing one store) a request bound to another bundle
 * than this gateway's may still be honoured by a gateway that runs it, in
 * the middle of a rolling update: it is voided only when no gateway with a
 * fresh heartbeat runs its bundle, checked right before voiding.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { appendEvent, type EventFailureCounter } from "../audit/audit-event.js";
import type { AuditStore } from "../audit/audit-store.js";
import { jsonDigest } from "../bundle/hash.js";
import { callBinding, checkApproval, describeRefusal, mayDecide, mayView, type ApprovalRequest, type Approver } from "../core/approval.js";
import type { Outcome } from "../core/audit-record.js";
import type { BundleRef, Decision } from "../core/decision.js";
import type { Envelope } from "../core/envelope.js";
import type { ApprovalsConfig } from "../core/gateway-config.js";
import type { Logger } from "../logger.js";
import type { ApprovalMetrics } from "./approval-metrics.js";
import type { ApprovalStore, Transition } from "./approval-store.js";

/** What the gateways sharing the store run (src/gateway/heartbeat.ts); absent, this gateway is alone. */
export interface FleetView {
  /** Makes sure the store says this gateway runs its active bundle before a request bound to it is stored. */
  announce(): Promise<void>;
  /** Hashes of the bundles that gateways with a fresh heartbeat run. */
  bundlesInUse(): Promise<ReadonlySet<string>>;
}

export type ApprovalEvent = "created" | "routed" | "approved" | "denied" | "expired" | "voided" | "executed" | "refused";

export interface ApprovalServiceDeps {
  store: ApprovalStore;
  audit: AuditStore;
  config: ApprovalsConfig;
  activeBundle: () => BundleRef;
  clock: () => Date;
  logger: Logger;
  metrics?: ApprovalMetrics;
  /** Announces a new request (the webhook); must not throw. */
  announce?: (request: ApprovalRequest) => void;
  /** Counts approval events the audit store refused (mcpgov_audit_event_write_failures_total). */
  auditFailures?: EventFailureCounter;
  /** How often waiting calls read the store (default 250 ms). */
  pollMs?: number;
  /** The fleet's heartbeats: a request is voided only when no live gateway runs its bundle. */
  fleet?: FleetView;
}

/** What an approver's attempt to decide came to, with the HTTP status an API would answer. */
export type DecideResult =
  | { ok: true; request: ApprovalRequest }
  | { ok: false; status: 400 | 403 | 404 | 409; message: string; request?: ApprovalRequest };

export function callDigestOf(envelope: Envelope): string {
  return jsonDigest(callBinding({ server: envelope.call.server, tool: envelope.call.tool ?? envelope.call.target.name, arguments: envelope.call.arguments, subject: envelope.subject }));
}

export class ApprovalService {
  private readonly changes = new EventEmitter();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ApprovalServiceDeps) {
    this.changes.setMaxListeners(0);
  }

  get store(): ApprovalStore {
    return this.deps.store;
  }

  private now(): string {
    return this.deps.clock().toISOString();
  }

  /**
   * One event record per step (approval.created, approval.approved…), linked
   * to the call that asked first and to the approval id. A failed write is
   * logged and counted, and fails the step.
   */
  private async record(request: ApprovalRequest, event: ApprovalEvent, detail: { actor?: string; reason?: string; callId?: string; outcome?: Outcome } = {}): Promise<void> {
    await appendEvent(
      { audit: this.deps.audit, logger: this.deps.logger, ...(this.deps.auditFailures ? { failures: this.deps.auditFailures } : {}) },
      {
        event: `approval.${event}`,
        time: this.now(),
        subject: request.subject,
        server: request.server,
        tool: request.tool,
        bundle: request.bundle,
        callId: request.call_id,
        approvalId: request.id,
        details: {
          group: request.group,
          actor: detail.actor,
          reason: detail.reason,
          ran_as_call: detail.callId,
          outcome: detail.outcome,
        },
      },
    );
  }

  private changed(request: ApprovalRequest): void {
    this.changes.emit(request.id, request);
  }

  /**
   * The request this call waits on: a live one for the same call digest and
   * subject under the active bundle (approved first), else a new one. Live
   * requests bound to a bundle no gateway runs any more are voided on the way.
   */
  async open(call: { envelope: Envelope; decision: Decision; digest: string }): Promise<{ request: ApprovalRequest; created: boolean }> {
    const { envelope, decision, digest } = call;
    const now = this.now();
    const active = this.deps.activeBundle().hash;
    const mine = await this.deps.store.list({ callDigest: digest, subjectId: envelope.subject.id, limit: 50 });
    const live = mine.filter((r) => r.state === "pending" || r.state === "approved");
    await this.voidUnused(live.filter((r) => r.bundle.hash !== active), active);
    const current = (r: ApprovalRequest) => r.bundle.hash === active && r.expires_at > now && r.subject.id === envelope.subject.id;
    const usable = live.filter(current);
    // A denial stands for the identical call until the request would have expired: asking again is not a way around it.
    const reuse = usable.find((r) => r.state === "approved") ?? usable.find((r) => r.state === "pending") ?? mine.find((r) => r.state === "denied" && current(r));
    if (reuse) return { request: reuse, created: false };

    // Another gateway must not find this request before it can tell that this gateway runs its bundle.
    await this.deps.fleet?.announce();
    const expirySec = decision.constraints.approval_timeout_sec ?? this.deps.config.default_expiry_sec;
    const request = await this.deps.store.create({
      id: `apr-${randomUUID()}`,
      call_id: envelope.call.id,
      created_at: now,
      expires_at: new Date(Date.parse(now) + expirySec * 1000).toISOString(),
      state: "pending",
      call_digest: digest,
      server: envelope.call.server,
      tool: envelope.call.tool ?? envelope.call.target.name,
      arguments: envelope.call.arguments,
      subject: { id: envelope.subject.id, ...(envelope.subject.tenant !== undefined ? { tenant: envelope.subject.tenant } : {}) },
      bundle: decision.bundle,
      rules: decision.rules,
      reason: decision.reason,
      constraints: decision.constraints,
      group: decision.constraints.approver_group ?? this.deps.config.default_group,
      envelope,
    });
    this.deps.metrics?.created.inc({ group: request.group });
    await this.record(request, "created");
    const known = request.group in this.deps.config.groups;
    await this.record(request, "routed", known ? {} : { reason: `group "${request.group}" has no configured approvers; only mcpgov-admin can decide` });
    if (!known) this.deps.logger.warn({ approval_id: request.id, group: request.group }, "approval routed to a group with no configured roles");
    this.deps.announce?.(request);
    this.deps.logger.info({ approval_id: request.id, call_id: request.call_id, group: request.group, server: request.server, tool: request.tool }, "approval requested");
    return { request, created: true };
  }

  /** Resolves with the request once it leaves `pending`, or as it is when the time is up or the signal aborts. */
  async waitForDecision(
    id: string,
    options: { timeoutMs: number; signal?: AbortSignal; tickMs?: number; onTick?: (waitedMs: number) => void },
  ): Promise<ApprovalRequest | undefined> {
    const started = Date.now();
    const pollMs = this.deps.pollMs ?? 250;
    let lastTick = started;
    for (;;) {
      const request = await this.deps.store.get(id);
      if (!request || request.state !== "pending") return request;
      if (request.expires_at <= this.now()) {
        await this.sweep();
        return this.deps.store.get(id);
      }
      const left = options.timeoutMs - (Date.now() - started);
      if (left <= 0 || options.signal?.aborted) return request;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.changes.off(id, done);
          options.signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(pollMs, left));
        this.changes.on(id, done);
        options.signal?.addEventListener("abort", done, { once: true });
      });
      if (options.onTick && options.tickMs !== undefined && Date.now() - lastTick >= options.tickMs) {
        lastTick = Date.now();
        options.onTick(lastTick - started);
      }
    }
  }

  /** approved → used for one call: the only way an approval runs anything. */
  async consume(request: ApprovalRequest, callId: string): Promise<Transition> {
    const result = await this.deps.store.consume(request.id, { callId, subjectId: request.subject.id, bundleHash: this.deps.activeBundle().hash, at: this.now() });
    if (result.ok) {
      this.deps.metrics?.executed.inc();
      this.changed(result.request);
    }
    return result;
  }

  /** Whether this viewer may see the request (its queue is theirs, or they are mcpgov-admin). */
  visibleTo(request: Pick<ApprovalRequest, "group">, viewer: { roles: readonly string[] }): boolean {
    return mayView(request, viewer, Object.fromEntries(Object.entries(this.deps.config.groups).map(([g, v]) => [g, v.roles])));
  }

  /** Why this request cannot run its call now, in words for the client. */
  explain(request: ApprovalRequest): string {
    const check = checkApproval(request, { digest: request.call_digest, subjectId: request.subject.id, activeBundleHash: this.deps.activeBundle().hash, now: this.now() });
    return check.ok ? `approval ${request.id} could not be used` : describeRefusal(request.id, check.refusal);
  }

  /** Records that a call ran (or tried to run) on an approval. */
  async recordExecution(request: ApprovalRequest, callId: string, outcome: Outcome): Promise<void> {
    await this.record(request, "executed", { callId, outcome });
  }

  async decide(id: string, approver: { id: string; roles: readonly string[] }, via: Approver["via"], verdict: "approved" | "denied", reason: string): Promise<DecideResult> {
    const trimmed = reason.trim();
    if (verdict === "denied" && trimmed === "") return { ok: false, status: 400, message: "a denial needs a reason" };
    if (trimmed.length > 2000) return { ok: false, status: 400, message: "reason: at most 2000 characters" };
    const request = await this.deps.store.get(id);
    if (!request) return { ok: false, status: 404, message: `no approval request ${id}` };
    const allowed = mayDecide(request, approver, Object.fromEntries(Object.entries(this.deps.config.groups).map(([g, v]) => [g, v.roles])));
    if (!allowed.ok) return { ok: false, status: 403, message: allowed.reason, request };
    if (request.state === "pending" && request.expires_at <= this.now()) await this.expire();
    const result = await this.deps.store.decide(id, { state: verdict, by: { id: approver.id, via }, reason: trimmed, at: this.now() });
    if (!result.ok) {
      const current = result.request ?? request;
      return { ok: false, status: result.reason === "not_found" ? 404 : 409, message: `approval ${id} is ${current.state === "pending" ? "expired" : current.state}, not pending`, request: current };
    }
    const waited = (Date.parse(result.request.decided_at!) - Date.parse(result.request.created_at)) / 1000;
    this.deps.metrics?.queueWait.observe({ decision: verdict }, Math.max(0, waited));
    this.deps.metrics?.decided.inc({ decision: verdict });
    await this.record(result.request, verdict, { actor: `${approver.id} (${via})`, reason: trimmed });
    this.deps.logger.info({ approval_id: id, decision: verdict, approver: approver.id, via }, "approval decided");
    this.changed(result.request);
    return { ok: true, request: result.request };
  }

  /**
   * Voids those of `candidates` whose bundle no gateway runs. The
   * candidates are read before the heartbeats: a request stored after its
   * gateway announced its bundle is then never taken for an orphan.
   */
  private async voidUnused(candidates: readonly ApprovalRequest[], activeHash: string): Promise<void> {
    if (candidates.length === 0) return;
    const inUse = this.deps.fleet ? await this.deps.fleet.bundlesInUse() : new Set<string>();
    for (const request of candidates) {
      if (request.bundle.hash !== activeHash && !inUse.has(request.bundle.hash)) await this.voidStale(request, activeHash);
    }
  }

  private async voidStale(request: ApprovalRequest, activeHash: string): Promise<void> {
    const reason = this.deps.fleet
      ? `bundle ${request.bundle.hash} that required it is no longer active on any gateway (${activeHash} is active here)`
      : `bundle ${request.bundle.hash} that required it is no longer active (${activeHash} is)`;
    const result = await this.deps.store.voidRequest(request.id, reason);
    if (!result.ok) return;
    this.deps.metrics?.voided.inc();
    await this.record(result.request, "voided", { reason });
    this.changed(result.request);
  }

  /** Moves requests past their expiry to expired. */
  async expire(): Promise<void> {
    for (const request of await this.deps.store.expireDue(this.now())) {
      this.deps.metrics?.expired.inc();
      await this.record(request, "expired", { reason: `not decided, or not used once approved, by ${request.expires_at}` });
      this.changed(request);
    }
  }

  /** Expires what is due and voids what a bundle no gateway runs required. */
  async sweep(): Promise<void> {
    await this.expire();
    const active = this.deps.activeBundle().hash;
    await this.voidUnused(await this.deps.store.boundToOtherBundles(active), active);
  }

  start(intervalMs = 1000): void {
    this.sweeper ??= setInterval(() => {
      void this.sweep().catch((error: unknown) => this.deps.logger.error({ error: String(error) }, "approval sweep failed"));
    }, intervalMs);
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    await this.deps.store.close();
  }
}
