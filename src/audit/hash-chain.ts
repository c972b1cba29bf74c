/**
 * @module The audit hash chain: sealing a record onto the chain and
 * checking a whole chain for modified, deleted and reordered records.
 *
 * Definition: a record's `hash` is `sha256:` + the SHA-256 hex of the
 * canonical JSON (src/core/canonical.ts) of the record without its `hash`
 * field; that content includes `seq` and `prev_hash`, the previous record's
 * hash (GENESIS_HASH for seq 1). Changing, removing or moving any record
 * therefore breaks a hash or a link at that record.
 *
 * The chain proves integrity to someone who knows the head. A writer with
 * full access to the storage can rebuild the chain from any point; anchor the
 * head printed by `mcpgov audit verify` outside the store to catch that.
 */
import { jsonDigest } from "../bundle/hash.js";
import { GENESIS_HASH, type AuditEntry, type AuditRecord } from "../core/audit-record.js";

export interface ChainHead {
  seq: number;
  hash: string;
}

/** A record of any kind, without (or with) its hash. */
export type UnsealedRecord = AuditRecord extends infer R ? (R extends AuditRecord ? Omit<R, "hash"> & { hash?: string } : never) : never;

export function recordHash(record: UnsealedRecord): string {
  const { hash: _ignored, ...content } = record as AuditRecord;
  return jsonDigest(content);
}

/** An entry of any kind with its seal. */
export type Sealed<E extends AuditEntry> = E & { seq: number; prev_hash: string; hash: string };

/** Seals an entry onto the chain after `head` (undefined: the chain is empty). */
export function sealRecord<E extends AuditEntry>(entry: E, head: ChainHead | undefined): Sealed<E> {
  const unsealed = { ...entry, seq: (head?.seq ?? 0) + 1, prev_hash: head?.hash ?? GENESIS_HASH };
  return { ...unsealed, hash: recordHash(unsealed as UnsealedRecord) };
}

export type ChainBreakKind = "modified" | "deleted" | "reordered";

export interface ChainBreak {
  kind: ChainBreakKind;
  /** Where the chain breaks: the bad record's seq as sealed, or the first missing seq. */
  seq: number;
  /** The bad record's call; absent when the bad records are gone (deleted) or the record is an event of no call. */
  call_id?: string;
  /** For deleted: the seq range that is missing, inclusive. */
  missing?: { from: number; to: number };
  /** What was found, for people; follows the record's name (see describeBreak). */
  detail: string;
}

export type ChainVerdict = { ok: true; count: number; head: ChainHead | undefined } | { ok: false; count: number; break: ChainBreak };

export interface VerifyOptions {
  /**
   * The head the store says it wrote last (or one anchored elsewhere). Without
   * it, records cut off the end of the chain leave no trace.
   */
  head?: ChainHead;
}

type Link = Pick<AuditRecord, "seq" | "call_id" | "hash">;

const who = (r: Pick<AuditRecord, "seq" | "call_id">) => (r.call_id === undefined ? `seq ${r.seq}` : `seq ${r.seq} (call ${r.call_id})`);
const range = (from: number, to: number) => (from === to ? `seq ${from}` : `seq ${from}–${to}`);

/**
 * Checks a chain given in storage (append) order and names the first bad
 * record. Streams: keeps only the previous record, whatever the chain's size.
 *
 * - modified: a record's hash does not match its content, or a record was
 *   resealed (its hash matches, but the next record links to another hash);
 * - deleted: seq jumps and the link to the previous record is broken; the
 *   missing seq range is named;
 * - reordered: seq goes backwards, a gap's missing records turn up later in
 *   the order, or a record carries a seq other than the one it was sealed with.
 */
export async function verifyChain(records: Iterable<AuditRecord> | AsyncIterable<AuditRecord>, options: VerifyOptions = {}): Promise<ChainVerdict> {
  let prev: Link | undefined;
  let count = 0;
  // A seq gap is a deletion unless the missing records appear later (a move).
  let gap: { from: number; to: number; at: Link } | undefined;
  const fail = (b: ChainBreak): ChainVerdict => ({ ok: false, count, break: b });

  for await (const record of records) {
    count++;
    if (gap) {
      if (record.seq >= gap.from && record.seq <= gap.to) {
        return fail({ kind: "reordered", seq: gap.at.seq, call_id: gap.at.call_id, detail: `stored before ${who(record)}` });
      }
      continue;
    }
    const expectedSeq = (prev?.seq ?? 0) + 1;
    const expectedPrev = prev?.hash ?? GENESIS_HASH;

    if (recordHash(record) !== record.hash) {
      if (record.seq !== expectedSeq && recordHash({ ...record, seq: expectedSeq }) === record.hash) {
        return fail({
          kind: "reordered",
          seq: expectedSeq,
          call_id: record.call_id,
          detail: `sealed as seq ${expectedSeq}, it now carries seq ${record.seq}`,
        });
      }
      return fail({ kind: "modified", seq: record.seq, call_id: record.call_id, detail: "its hash does not match its content" });
    }

    if (record.seq === expectedSeq) {
      if (record.prev_hash !== expectedPrev) {
        if (!prev) {
          return fail({ kind: "modified", seq: record.seq, call_id: record.call_id, detail: "the first record does not link to the genesis hash" });
        }
        return fail({
          kind: "modified",
          seq: prev.seq,
          call_id: prev.call_id,
          detail: `resealed: its hash differs from the prev_hash that ${who(record)} recorded`,
        });
      }
      const headBreak = checkHead(record, options.head);
      if (headBreak) return fail(headBreak);
      prev = record;
      continue;
    }

    if (record.seq < expectedSeq) {
      const detail = prev ? `stored after ${who(prev)}` : "a chain starts at seq 1";
      return fail({ kind: "reordered", seq: record.seq, call_id: record.call_id, detail });
    }

    if (record.prev_hash === expectedPrev) {
      // Linked correctly yet numbered past a gap: sealed with a wrong seq.
      return fail({
        kind: "modified",
        seq: record.seq,
        call_id: record.call_id,
        detail: `links to seq ${expectedSeq - 1} but its seq skips ${range(expectedSeq, record.seq - 1)}`,
      });
    }
    gap = { from: expectedSeq, to: record.seq - 1, at: record };
  }

  if (gap) {
    return fail({
      kind: "deleted",
      seq: gap.from,
      missing: { from: gap.from, to: gap.to },
      detail: `missing; the chain continues at ${who(gap.at)}`,
    });
  }
  const head = options.head;
  if (head && (prev?.seq ?? 0) < head.seq) {
    const from = (prev?.seq ?? 0) + 1;
    return fail({
      kind: "deleted",
      seq: from,
      missing: { from, to: head.seq },
      detail: `missing from the end; the store's chain head records seq ${head.seq}`,
    });
  }
  return { ok: true, count, head: prev ? { seq: prev.seq, hash: prev.hash } : undefined };
}

function checkHead(record: AuditRecord, head: ChainHead | undefined): ChainBreak | undefined {
  if (!head || record.seq !== head.seq || record.hash === head.hash) return undefined;
  return {
    kind: "modified",
    seq: record.seq,
    call_id: record.call_id,
    detail: "resealed: its hash differs from the chain head the store recorded",
  };
}

/** One line naming the break, for people. */
export function describeBreak(b: ChainBreak): string {
  const where = b.missing ? range(b.missing.from, b.missing.to) : `seq ${b.seq}${b.call_id ? ` (call ${b.call_id})` : ""}`;
  return `${where} ${b.kind}: ${b.detail}`;
}
