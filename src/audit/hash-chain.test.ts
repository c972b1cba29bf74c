import { describe, expect, it } from "vitest";
import { GENESIS_HASH, type CallRecord } from "../core/audit-record.js";
import { entryFor } from "../../test/helpers/audit-fixtures.js";
import { describeBreak, recordHash, sealRecord, verifyChain } from "./hash-chain.js";

function chain(n: number): CallRecord[] {
  const records: CallRecord[] = [];
  for (let i = 1; i <= n; i++) records.push(sealRecord(entryFor(`c-${i}`), records[i - 2]));
  return records;
}

/** The same records, re-sealed from `from` on: what a writer with full access can do. */
function reseal(records: CallRecord[], from: number): CallRecord[] {
  const out = records.slice(0, from);
  for (const record of records.slice(from)) {
    const { seq: _s, prev_hash: _p, hash: _h, ...entry } = record;
    out.push(sealRecord(entry, out[out.length - 1]));
  }
  return out;
}

describe("sealRecord", () => {
  it("links seq 1 to the genesis hash and hashes everything but the hash", () => {
    const [first, second] = chain(2);
    expect(first).toMatchObject({ seq: 1, prev_hash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prev_hash: first!.hash });
    expect(recordHash(first!)).toBe(first!.hash);
    expect(recordHash({ ...first!, outcome: "failed" })).not.toBe(first!.hash);
    expect(recordHash({ ...first!, seq: 7 })).not.toBe(first!.hash);
    expect(recordHash({ ...first!, prev_hash: second!.hash })).not.toBe(first!.hash);
  });
});

describe("verifyChain", () => {
  it("accepts an intact chain and reports its head", async () => {
    const records = chain(5);
    expect(await verifyChain(records, { head: { seq: 5, hash: records[4]!.hash } })).toEqual({
      ok: true,
      count: 5,
      head: { seq: 5, hash: records[4]!.hash },
    });
  });

  it("names a modified record", async () => {
    const records = chain(5);
    records[2] = { ...records[2]!, decision: "DENY" };
    const verdict = await verifyChain(records);
    expect(verdict).toMatchObject({ ok: false, break: { kind: "modified", seq: 3, call_id: "c-3" } });
    if (!verdict.ok) expect(describeBreak(verdict.break)).toBe("seq 3 (call c-3) modified: its hash does not match its content");
  });

  it("names a record that was modified and resealed by the link after it", async () => {
    const records = chain(5);
    const changed = { ...records[2]!, decision: "DENY" as const };
    records[2] = { ...changed, hash: recordHash(changed) };
    expect(await verifyChain(records)).toMatchObject({ ok: false, break: { kind: "modified", seq: 3, call_id: "c-3" } });
  });

  it("names the seq range of deleted records", async () => {
    const records = chain(8);
    const verdict = await verifyChain([...records.slice(0, 3), ...records.slice(5)]);
    expect(verdict).toMatchObject({ ok: false, break: { kind: "deleted", seq: 4, missing: { from: 4, to: 5 } } });
    if (!verdict.ok) expect(describeBreak(verdict.break)).toBe("seq 4–5 deleted: missing; the chain continues at seq 6 (call c-6)");
    expect(await verifyChain(records.slice(1))).toMatchObject({ ok: false, break: { kind: "deleted", missing: { from: 1, to: 1 } } });
  });

  it("finds records cut off the end only against a known head", async () => {
    const records = chain(6);
    const head = { seq: 6, hash: records[5]!.hash };
    expect((await verifyChain(records.slice(0, 4))).ok).toBe(true);
    expect(await verifyChain(records.slice(0, 4), { head })).toMatchObject({ ok: false, break: { kind: "deleted", missing: { from: 5, to: 6 } } });
    expect(await verifyChain([], { head })).toMatchObject({ ok: false, break: { kind: "deleted", missing: { from: 1, to: 6 } } });
  });

  it("names the record whose seq number was swapped with another's", async () => {
    const records = chain(6);
    records[2] = { ...records[2]!, seq: 5 };
    records[4] = { ...records[4]!, seq: 3 };
    const verdict = await verifyChain(records);
    expect(verdict).toMatchObject({ ok: false, break: { kind: "reordered", seq: 3, call_id: "c-3" } });
    if (!verdict.ok) expect(describeBreak(verdict.break)).toBe("seq 3 (call c-3) reordered: sealed as seq 3, it now carries seq 5");
  });

  it("names records stored out of order", async () => {
    const records = chain(6);
    const swapped = [records[0]!, records[1]!, records[3]!, records[2]!, records[4]!, records[5]!];
    expect(await verifyChain(swapped)).toMatchObject({ ok: false, break: { kind: "reordered", seq: 4, call_id: "c-4", detail: "stored before seq 3 (call c-3)" } });
    const movedBack = [records[0]!, records[2]!, records[3]!, records[1]!, records[4]!];
    expect(await verifyChain(movedBack)).toMatchObject({ ok: false, break: { kind: "reordered", seq: 3, call_id: "c-3" } });
    const repeated = [records[0]!, records[1]!, records[2]!, records[1]!];
    expect(await verifyChain(repeated)).toMatchObject({ ok: false, break: { kind: "reordered", seq: 2, call_id: "c-2", detail: "stored after seq 3 (call c-3)" } });
  });

  it("cannot see a chain rebuilt from scratch, except against an anchored head", async () => {
    const records = chain(5);
    const head = { seq: 5, hash: records[4]!.hash };
    const rebuilt = reseal([...records.slice(0, 2), { ...records[2]!, decision: "DENY" }, ...records.slice(3)], 2);
    expect((await verifyChain(rebuilt)).ok).toBe(true);
    expect(await verifyChain(rebuilt, { head })).toMatchObject({ ok: false, break: { kind: "modified", seq: 5 } });
  });

  it("reads an async iterable without collecting it", async () => {
    const records = chain(3);
    async function* stream() {
      yield* records;
    }
    expect(await verifyChain(stream())).toMatchObject({ ok: true, count: 3 });
  });
});
