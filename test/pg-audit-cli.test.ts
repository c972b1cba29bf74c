/** @module `mcpgov audit verify | why | export --state postgres://…` read the chain a PgAuditStore wrote. */
import { describe, expect, it } from "vitest";
import { PgAuditStore } from "../src/audit/pg-audit-store.js";
import { appendCalls } from "./helpers/audit-fixtures.js";
import { runCli } from "./helpers/cli.js";
import { usePostgres } from "./helpers/embedded-pg.js";

const postgres = usePostgres();

describe("mcpgov audit --state postgres://…", () => {
  it("verifies, explains and exports the chain, and reports an edit with exit 2", async () => {
    const { url, password } = postgres();
    const store = await PgAuditStore.open({ url, password });
    await appendCalls(store, 3);
    await store.close();
    const env = { PGPASSWORD: password };

    const verified = await runCli(["audit", "verify", "--state", url, "--format", "json"], { env });
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, count: 3 });

    const why = await runCli(["audit", "why", "c-2"], { env: { ...env, MCPGOV_STATE: url } });
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toContain("c-2");

    const exported = await runCli(["audit", "export", "--state", url, "--envelopes", "-"], { env });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split("\n")).toHaveLength(3);

    const client = await postgres().client();
    try {
      await client.query("UPDATE audit_records SET reason = 'edited' WHERE seq = 2");
    } finally {
      await client.end();
    }
    const broken = await runCli(["audit", "verify", "--state", url], { env });
    expect(broken.code).toBe(2);
  });

  it("refuses a URL with a password without printing it, and a database without mcpgov state", async () => {
    const { url, password } = postgres();
    const withPassword = url.replace("mcpgov@", "mcpgov:hunter2@");
    const refused = await runCli(["audit", "verify", "--state", withPassword], {});
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("must not contain a password");
    expect(refused.stdout + refused.stderr).not.toContain("hunter2");

    const client = await postgres().client();
    try {
      await client.query("CREATE DATABASE empty_state");
    } finally {
      await client.end();
    }
    const empty = await runCli(["audit", "verify", "--state", url.replace(/\/postgres$/, "/empty_state")], { env: { PGPASSWORD: password } });
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain("no mcpgov state in this database");
  });
});
