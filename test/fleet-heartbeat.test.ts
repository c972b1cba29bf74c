/**
 * Fleet-correct voiding on real stores: two gateways (two ApprovalServices
 * with their own heartbeats and bundles) share one SQLite data folder or
 * one PostgreSQL schema. A request bound to a bundle some gateway still
 * runs survives the other's sweeps and retries; once no gateway with a
 * fresh heartbeat runs it (stopped, or silent for three intervals), the
 * next sweep voids it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ApprovalService, callDigestOf } from "../src/approvals/approval-service.js";
import type { ApprovalStore } from "../src/approvals/approval-store.js";
import { PgApprovalStore } from "../src/approvals/pg-approval-store.js";
import { SqliteApprovalStore } from "../src/approvals/sqlite-approval-store.js";
import type { AuditStore } from "../src/audit/audit-store.js";
import { PgAuditStore } from "../src/audit/pg-audit-store.js";
import { SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import type { BundleRef, Decision } from "../src/core/decision.js";
import { ApprovalsConfigSchema } from "../src/core/gateway-config.js";
import { GatewayHeartbeat } from "../src/gateway/heartbeat.js";
import { silentLogger } from "../src/logger.js";
import { envelopeFor } from "./helpers/audit-fixtures.js";
import { usePostgres } from "./helpers/embedded-pg.js";

const V1: BundleRef = { hash: `sha256:${"1".repeat(64)}`, revision: "v1" };
const V2: BundleRef = { hash: `sha256:${"2".repeat(64)}`, revision: "v2" };
const INTERVAL_MS = 200;

interface Member {
  id: string;
  bundle: BundleRef;
  heartbeat: GatewayHeartbeat;
  service: ApprovalService;
  store: ApprovalStore;
  audit: AuditStore;
}

type Storage = { open(): Promise<{ store: ApprovalStore; audit: AuditStore }>; dispose(): Promise<void> };

const postgres = usePostgres();
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const sqlite = async (): Promise<Storage> => {
  const dir = await mkdtemp(join(tmpdir(), "mcpgov-fleet-"));
  return {
    open: async () => ({ store: SqliteApprovalStore.open(join(dir, "data")), audit: await SqliteAuditStore.open(join(dir, "data")) }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
};
const pg = async (): Promise<Storage> => {
  const options = await postgres().freshSchema();
  return { open: async () => ({ store: await PgApprovalStore.open(options), audit: await PgAuditStore.open(options) }), dispose: options.drop };
};

async function member(storage: Storage, id: string, bundle: BundleRef): Promise<Member> {
  const { store, audit } = await storage.open();
  const m = { id, bundle, store, audit } as Member;
  m.heartbeat = new GatewayHeartbeat({ store, gatewayId: id, intervalMs: INTERVAL_MS, bundle: () => m.bundle, clock: () => new Date(), logger: silentLogger });
  m.service = new ApprovalService({
    store,
    audit,
    config: ApprovalsConfigSchema.parse({ default_expiry_sec: 600 }),
    activeBundle: () => m.bundle,
    clock: () => new Date(),
    logger: silentLogger,
    fleet: m.heartbeat,
  });
  await m.heartbeat.start();
  cleanup.push(async () => {
    await m.heartbeat.stop().catch(() => undefined);
    await m.service.close().catch(() => undefined);
    await audit.close();
  });
  return m;
}

function held(m: Member, title = "deploy") {
  const envelope = envelopeFor(`call-${title}-${m.id}`, { arguments: { title } });
  const decision: Decision = { decision: "REQUIRE_APPROVAL", rules: ["approve-prod-writes"], reason: "prod writes need an approver", constraints: {}, matched: [], bundle: m.bundle };
  return m.service.open({ envelope, decision, digest: callDigestOf(envelope) });
}

for (const [name, make] of [["SQLite (one data folder)", sqlite], ["PostgreSQL", pg]] as const) {
  describe(`heartbeats on ${name}`, () => {
    it("list each gateway with its bundle, count only fresh ones, and forget a gateway that leaves", async () => {
      const storage = await make();
      cleanup.push(storage.dispose);
      const a = await member(storage, "gw-a", V1);
      const b = await member(storage, "gw-b", V2);
      expect((await a.store.gateways()).map((g) => [g.gateway_id, g.bundle_hash, g.bundle_revision]).sort()).toEqual([
        ["gw-a", V1.hash, "v1"],
        ["gw-b", V2.hash, "v2"],
      ]);
      expect((await a.store.gateways())[0]!.last_seen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect([...(await a.heartbeat.bundlesInUse())].sort()).toEqual([V1.hash, V2.hash]);
      await b.heartbeat.stop();
      expect([...(await a.heartbeat.bundlesInUse())]).toEqual([V1.hash]);
      expect([...(await a.store.bundlesInUse({ freshMs: 60_000, now: new Date().toISOString() }))]).toEqual([V1.hash]);
    });

    it("keep a request bound to a bundle another gateway still runs; void it once none does", async () => {
      const storage = await make();
      cleanup.push(storage.dispose);
      const a = await member(storage, "gw-a", V1);
      const b = await member(storage, "gw-b", V1);
      const { request } = await held(b);
      // A rolls forward to v2 and announces it; B still runs v1.
      a.bundle = V2;
      await a.heartbeat.beat();
      await a.service.sweep();
      expect((await a.store.get(request.id))!.state).toBe("pending");
      // The identical call retried on A is decided under v2: a new request, the v1 one left alone.
      const onA = await held(a);
      expect(onA).toMatchObject({ created: true, request: { bundle: V2 } });
      expect((await a.store.get(request.id))!.state).toBe("pending");
      // Approved through A, it is honoured by B (which runs v1), once.
      expect((await a.service.decide(request.id, { id: "bob", roles: ["mcpgov-admin"] }, "admin-api", "approved", "ok")).ok).toBe(true);
      const approved = (await b.store.get(request.id))!;
      expect((await b.service.consume(approved, "run-1")).ok).toBe(true);
      expect((await a.service.consume(approved, "run-2")).ok).toBe(false);

      // A second v1 request, then B finishes its roll to v2: nothing runs v1 any more.
      const second = await held(b, "second");
      b.bundle = V2;
      await b.heartbeat.beat();
      await a.service.sweep();
      expect(await a.store.get(second.request.id)).toMatchObject({ state: "void", void_reason: expect.stringContaining("no longer active on any gateway") });
    });

    it("announce a gateway's new bundle before storing a request bound to it, so no peer takes that request for an orphan", async () => {
      const storage = await make();
      cleanup.push(storage.dispose);
      const a = await member(storage, "gw-a", V1);
      const b = await member(storage, "gw-b", V1);
      // B swaps and, before its next beat (or the swap's), opens a request under v2.
      b.bundle = V2;
      const { request } = await held(b);
      expect((await a.store.gateways()).find((g) => g.gateway_id === "gw-b")?.bundle_hash).toBe(V2.hash);
      await a.service.sweep();
      expect((await a.store.get(request.id))!.state).toBe("pending");
    });

    it("take a gateway silent for three intervals for gone", async () => {
      const storage = await make();
      cleanup.push(storage.dispose);
      const a = await member(storage, "gw-a", V2);
      const b = await member(storage, "gw-b", V1);
      const { request } = await held(b);
      // B dies without leaving: its row stays but stops beating.
      await b.heartbeat.stop();
      await b.store.beat({ gatewayId: "gw-b", bundle: V1, at: new Date().toISOString() });
      await a.service.sweep();
      expect((await a.store.get(request.id))!.state).toBe("pending");
      await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS + 150));
      await a.service.sweep();
      expect((await a.store.get(request.id))!.state).toBe("void");
    });
  });
}
