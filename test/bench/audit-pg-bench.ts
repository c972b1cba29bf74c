/**
 * @module Audit append rate on PostgreSQL (a local embedded server), beside
 * SQLite's: one caller, 16 callers on one gateway (group commit), 16
 * gateways (stores with their own pools) on the one shared chain, and, for
 * the design choice, 16 gateways each on a chain of its own.
 */
import type { AuditStore } from "../../src/audit/audit-store.js";
import { verifyChain } from "../../src/audit/hash-chain.js";
import { PgAuditStore } from "../../src/audit/pg-audit-store.js";
import type { CallEntry } from "../../src/core/audit-record.js";
import { startPostgres } from "../helpers/postgres-server.js";
import { fmt, nowMicros, summarise } from "./stats.js";

const APPENDS = 2_000;
const WARM_UP = 100;

/** `writers` callers, spread over `stores`, append `APPENDS` entries; each caller awaits its own append. */
async function run(stores: AuditStore[], writers: number, entries: CallEntry[]) {
  const samples: number[] = [];
  let next = 0;
  const caller = async (store: AuditStore) => {
    while (next < entries.length) {
      const entry = entries[next++]!;
      const start = nowMicros();
      await store.append(entry);
      samples.push(nowMicros() - start);
    }
  };
  const started = nowMicros();
  await Promise.all(Array.from({ length: writers }, (_, i) => caller(stores[i % stores.length]!)));
  return { append: summarise(samples), perSecond: entries.length / ((nowMicros() - started) / 1e6) };
}

export async function auditPgBench(entry: (i: number) => CallEntry): Promise<string[]> {
  const server = await startPostgres();
  const lines = [
    "",
    `audit append on PostgreSQL 18 (embedded, loopback, synchronous_commit=on, ${APPENDS} appends; latency = append call until COMMIT returned)`,
    "setup                                   | p50 µs   p99 µs | appends/s",
  ];
  try {
    const entries = Array.from({ length: APPENDS }, (_, i) => entry(WARM_UP + i));
    const cases: Array<{ name: string; gateways: number; writers: number; ownChains: boolean }> = [
      { name: "1 gateway, 1 writer", gateways: 1, writers: 1, ownChains: false },
      { name: "1 gateway, 16 writers", gateways: 1, writers: 16, ownChains: false },
      { name: "16 gateways, 1 writer each, one chain", gateways: 16, writers: 16, ownChains: false },
      { name: "16 gateways, 1 writer each, own chains", gateways: 16, writers: 16, ownChains: true },
      { name: "16 gateways, 4 writers each, one chain", gateways: 16, writers: 64, ownChains: false },
    ];
    for (const c of cases) {
      const shared = await server.freshSchema();
      const schemas = c.ownChains ? await Promise.all(Array.from({ length: c.gateways }, () => server.freshSchema())) : [shared];
      const stores: AuditStore[] = [];
      try {
        for (let g = 0; g < c.gateways; g++) {
          const { drop: _drop, ...options } = schemas[g % schemas.length]!;
          stores.push(await PgAuditStore.open({ ...options, maxConnections: 2 }));
        }
        for (let i = 0; i < WARM_UP; i++) await stores[i % stores.length]!.append(entry(i));
        const r = await run(stores, c.writers, entries);
        for (const store of c.ownChains ? stores : stores.slice(0, 1)) {
          if (!(await verifyChain(store.iterate(), { head: (await store.head())! })).ok) throw new Error("benchmark chain does not verify");
        }
        lines.push(`${c.name.padEnd(39)} | ${fmt(r.append.median).padStart(6)} ${fmt(r.append.p99).padStart(8)} | ${fmt(r.perSecond, 0).padStart(9)}`);
      } finally {
        for (const store of stores) await store.close();
        for (const s of new Set([shared, ...schemas])) await s.drop();
      }
    }
    lines.push(
      "one chain: every append transaction locks the chain-head row; appends queued in one gateway share a transaction (group commit)",
      "own chains: the alternative design (a chain per gateway), no shared lock; verify and export would then walk 16 chains",
    );
  } finally {
    await server.stop();
  }
  return lines;
}
