/**
 * @module The gateway's store selection: `state: postgres://…` opens the
 * three PostgreSQL stores (password from state_password_env), sharing one
 * database; without it the SQLite stores in data_dir.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PgApprovalStore } from "../src/approvals/pg-approval-store.js";
import { PgAuditStore } from "../src/audit/pg-audit-store.js";
import { SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { parseGatewayConfig } from "../src/gateway/config.js";
import { openStores } from "../src/gateway/open-stores.js";
import { PgQuarantineStore } from "../src/quarantine/pg-quarantine-store.js";
import { entryFor } from "./helpers/audit-fixtures.js";
import { usePostgres } from "./helpers/embedded-pg.js";

const postgres = usePostgres();
const BASE = "bundle: bundle.tar.gz\nauth:\n  mode: none\n";

describe("openStores", () => {
  it("opens the PostgreSQL stores when state is a postgres:// URL", async () => {
    const { url, password } = postgres();
    const config = parseGatewayConfig(`${BASE}state: ${url}\nstate_password_env: TEST_PG_PASSWORD\n`, "/cfg/mcpgov.yaml", { secrets: "skip" });
    const stores = await openStores(config, { TEST_PG_PASSWORD: password });
    try {
      expect(stores.audit).toBeInstanceOf(PgAuditStore);
      expect(stores.quarantine).toBeInstanceOf(PgQuarantineStore);
      expect(stores.approvals).toBeInstanceOf(PgApprovalStore);
      const record = await stores.audit.append(entryFor("c-1"));
      expect(await stores.audit.head()).toEqual({ seq: record.seq, hash: record.hash });
    } finally {
      await Promise.all([stores.audit.close(), stores.quarantine.close(), stores.approvals.close()]);
    }
  });

  it("refuses to start with a wrong password, naming the store", async () => {
    const { url } = postgres();
    const config = parseGatewayConfig(`${BASE}state: ${url}\nstate_password_env: TEST_PG_PASSWORD\n`, "/cfg/mcpgov.yaml", { secrets: "skip" });
    await expect(openStores(config, { TEST_PG_PASSWORD: "wrong" })).rejects.toMatchObject({ code: "io_error", message: expect.stringContaining("audit store") });
  });

  it("keeps SQLite in data_dir without state", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mcpgov-open-stores-"));
    try {
      const stores = await openStores(parseGatewayConfig(`${BASE}data_dir: data\n`, join(dir, "mcpgov.yaml")), {});
      expect(stores.audit).toBeInstanceOf(SqliteAuditStore);
      await Promise.all([stores.audit.close(), stores.quarantine.close(), stores.approvals.close()]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
