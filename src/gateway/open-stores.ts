/**
 * @module Opens the gateway's three stores where the config says: SQLite
 * files in data_dir (the default), or PostgreSQL when `state` is a
 * postgres:// URL (every gateway pointed at it shares approvals, held
 * outputs and one audit chain).
 */
import { resolve } from "node:path";
import type { ApprovalStore } from "../approvals/approval-store.js";
import { PgApprovalStore } from "../approvals/pg-approval-store.js";
import { SqliteApprovalStore } from "../approvals/sqlite-approval-store.js";
import type { AuditStore } from "../audit/audit-store.js";
import { PgAuditStore } from "../audit/pg-audit-store.js";
import { SqliteAuditStore } from "../audit/sqlite-audit-store.js";
import { resolveStatePassword } from "../config/secrets.js";
import type { QuarantineStore } from "../quarantine/quarantine-store.js";
import { PgQuarantineStore } from "../quarantine/pg-quarantine-store.js";
import { SqliteQuarantineStore } from "../quarantine/sqlite-quarantine-store.js";
import type { PgStateOptions } from "../state/pg-db.js";
import type { LoadedGatewayConfig } from "./config.js";

export interface GatewayStores {
  audit: AuditStore;
  quarantine: QuarantineStore;
  approvals: ApprovalStore;
}

/** Opens all three or none: a store that fails to open closes the ones already open. */
export async function openStores(config: LoadedGatewayConfig, env: Record<string, string | undefined>): Promise<GatewayStores> {
  const opened: Array<{ close(): Promise<void> }> = [];
  const keep = <S extends { close(): Promise<void> }>(store: S): S => {
    opened.push(store);
    return store;
  };
  try {
    if (config.state !== undefined) {
      const password = (await resolveStatePassword(config, env)) ?? env["PGPASSWORD"];
      const options: PgStateOptions = { url: config.state, ...(password !== undefined ? { password } : {}) };
      return {
        audit: keep(await PgAuditStore.open(options)),
        quarantine: keep(await PgQuarantineStore.open(options)),
        approvals: keep(await PgApprovalStore.open(options)),
      };
    }
    const dataDir = resolve(config.source.dir, config.data_dir);
    return {
      audit: keep(await SqliteAuditStore.open(dataDir, { synchronous: config.audit.synchronous })),
      quarantine: keep(await SqliteQuarantineStore.open(dataDir)),
      approvals: keep(SqliteApprovalStore.open(dataDir)),
    };
  } catch (cause) {
    for (const store of opened) await store.close().catch(() => undefined);
    throw cause;
  }
}
