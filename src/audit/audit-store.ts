/** @module The AuditStore role: an append-only, hash-chained record of every governed call. */
import type { AuditEntryInput, AuditRecord, Outcome } from "../core/audit-record.js";
import type { DecisionKind } from "../core/decision.js";
import type { Action } from "../core/envelope.js";
import type { ChainHead } from "./hash-chain.js";

/** Filters combine with AND; records come in append order. */
export interface AuditQuery {
  /** Inclusive, RFC 3339. */
  since?: string;
  /** Exclusive, RFC 3339. */
  until?: string;
  callId?: string;
  server?: string;
  tool?: string;
  action?: Action;
  decision?: DecisionKind;
  outcome?: Outcome;
  /** Records linked to this approval request (extra.approval_id). */
  approvalId?: string;
  /** A rule among the rules that decided the call. */
  rule?: string;
  limit?: number;
}

export interface AuditStore {
  /**
   * Validates the entry, seals it onto the chain (seq, prev_hash, hash) and
   * stores it. When the promise resolves the record is durable: a process
   * killed right after loses nothing. Concurrent appends are serialised, so
   * the chain stays linear. An invalid entry is refused with `input_invalid`
   * and leaves the chain as it was. An entry made by buildAuditEntry is
   * valid by construction and may be taken without a second validation
   * (see isBuiltAuditEntry).
   */
  append(entry: AuditEntryInput): Promise<AuditRecord>;
  /** The latest record of a call, or undefined. */
  get(callId: string): Promise<AuditRecord | undefined>;
  /**
   * Every record in append order (which is seq order while the chain is
   * intact; `verifyChain` relies on seeing the storage order). Streams: the
   * store never holds the whole chain in memory.
   */
  iterate(): AsyncIterable<AuditRecord>;
  /** Records matching the filter, in append order, streamed. */
  query(filter: AuditQuery): AsyncIterable<AuditRecord>;
  /** The head the store recorded with its last append; undefined when empty. */
  head(): Promise<ChainHead | undefined>;
  close(): Promise<void>;
}
