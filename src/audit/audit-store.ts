/**
 * @module The AuditStore role: an append-only, hash-chained record of every
 * governed call (an intent before dispatch, the call's outcome after) and of
 * the events around calls (approvals, reviews, pin violations).
 */
import type {
  AuditEntryInput,
  AuditRecord,
  AuditRecordKind,
  CallEntry,
  CallRecord,
  EventEntry,
  EventRecord,
  IntentEntry,
  IntentRecord,
  Outcome,
} from "../core/audit-record.js";
import type { DecisionKind } from "../core/decision.js";
import { McpgovError } from "../core/errors.js";
import type { Action } from "../core/envelope.js";
import type { ChainHead } from "./hash-chain.js";

/** An intent whose call has no outcome record: the gateway stopped (or is still waiting) after dispatch. */
export interface OutcomeUnknown {
  call_id: string;
  /** seq of the intent record. */
  seq: number;
  time: string;
  server: string;
  tool: string;
}

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
  /** Records linked to this approval request (a call's extra.approval_id, an event's approval_id). */
  approvalId?: string;
  /** Records linked to this quarantined output (a call's extra.quarantine_id, an event's quarantine_id). */
  quarantineId?: string;
  /** Only records of this kind (records without a kind are calls). */
  kind?: AuditRecordKind;
  /** Only events of this name, e.g. approval.created. */
  event?: string;
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
   * (see isBuiltAuditEntry). Strings holding lone UTF-16 surrogates are
   * stored (and sealed) with U+FFFD instead, noted as ill_formed_unicode.
   * A store that cannot take records now (locked by another process past
   * its busy timeout, disk full, I/O) refuses promptly with
   * `audit_unavailable`; the chain stays as it was.
   */
  append(entry: CallEntry): Promise<CallRecord>;
  append(entry: IntentEntry): Promise<IntentRecord>;
  append(entry: EventEntry): Promise<EventRecord>;
  append(entry: AuditEntryInput): Promise<AuditRecord>;
  /** The latest call or intent record of a call, or undefined. */
  get(callId: string): Promise<CallRecord | IntentRecord | undefined>;
  /** Dispatched calls without an outcome record (intents with no call record), in append order. */
  outcomeUnknown(): AsyncIterable<OutcomeUnknown>;
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

/** A query bound (since/until): RFC 3339 (or a plain date) to the stored UTC form, so bounds compare as text. */
export function utcBound(value: string, name: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}(?:[Tt ][0-9:.]+(?:[Zz]|[+-]\d{2}:\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new McpgovError("input_invalid", `${name}: expected an RFC 3339 time such as 2026-04-01T09:30:00Z`);
  return new Date(ms).toISOString();
}
