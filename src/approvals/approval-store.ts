/**
 * @module The ApprovalStore role: approval requests and their compare-and-set
 * transitions (see src/state/state-db.ts for the design every store follows).
 */
import type { ApprovalRequest, ApprovalState, Approver } from "../core/approval.js";
import type { HeartbeatStore } from "./heartbeat-store.js";

export interface ApprovalQuery {
  state?: ApprovalState;
  group?: string;
  subjectId?: string;
  callDigest?: string;
  limit?: number;
}

/** The result of a transition: the request after it, or why it did not happen. */
export type Transition = { ok: true; request: ApprovalRequest } | { ok: false; reason: "not_found" | "wrong_state"; request?: ApprovalRequest };

/** Approvals and the fleet's heartbeats share a store: voiding needs both. */
export interface ApprovalStore extends HeartbeatStore {
  /** Stores a new pending request; its id must be new. */
  create(request: ApprovalRequest): Promise<ApprovalRequest>;
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** Newest first. */
  list(query?: ApprovalQuery): Promise<ApprovalRequest[]>;
  /** pending → approved | denied, when not expired at `at`. */
  decide(id: string, outcome: { state: "approved" | "denied"; by: Approver; reason: string; at: string }): Promise<Transition>;
  /**
   * approved → used, only while the request still binds the given bundle and
   * subject and has not expired: the one place an approval turns into an
   * execution, so it must have exactly one winner.
   */
  consume(id: string, use: { callId: string; subjectId: string; bundleHash: string; at: string }): Promise<Transition>;
  /** pending | approved → void (the bundle that required it is no longer active). */
  voidRequest(id: string, reason: string): Promise<Transition>;
  /** pending | approved whose expiry is at or before `now` → expired; returns those it moved. */
  expireDue(now: string): Promise<ApprovalRequest[]>;
  /** Requests in pending | approved bound to another bundle than `activeHash`. */
  boundToOtherBundles(activeHash: string): Promise<ApprovalRequest[]>;
  countByState(): Promise<Record<ApprovalState, number>>;
  close(): Promise<void>;
}
