/**
 * An audit store that cannot take records refuses appends promptly with
 * `audit_unavailable` (the gateway then refuses the call rather than hang),
 * and stays consistent: once the lock is gone or space returns, appends go
 * on and the chain verifies.
 */
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { fillVolume } from "./helpers/volume.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/hash-chain.js";
import { DEFAULT_BUSY_TIMEOUT_MS } from "../src/audit/sqlite-audit-append.js";
import { AUDIT_FILE, SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { McpgovError } from "../src/core/errors.js";
import { appendCalls, collect, entryFor, tempDataDir } from "./helpers/audit-fixtures.js";
import { repoRoot } from "./helpers/cli.js";

const SECRET_ARG = "do-not-print-this-argument";

async function refusal(promise: Promise<unknown>): Promise<{ error: McpgovError; ms: number }> {
  const started = Date.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the append should have been refused").toBeInstanceOf(McpgovError);
  return { error: error as McpgovError, ms: Date.now() - started };
}

describe("audit store locked by another connection", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDataDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("waits at most 2 s by default", () => {
    expect(DEFAULT_BUSY_TIMEOUT_MS).toBeLessThanOrEqual(2_000);
  });

  for (const writer of ["inline", "thread"] as const) {
    it(`refuses an append within the busy timeout (${writer} writer), then goes on once the lock is released`, async () => {
      if (writer === "thread") expect(existsSync(join(repoRoot, "dist", "src", "audit", "sqlite-audit-writer.js")), "run `npm run build` first").toBe(true);
      const data = join(dir, writer);
      const store = await SqliteAuditStore.open(data, { busyTimeoutMs: 300, writer });
      const other = new Database(join(data, AUDIT_FILE));
      try {
        await appendCalls(store, 2);
        other.exec("BEGIN EXCLUSIVE");
        const { error, ms } = await refusal(store.append(entryFor("c-3", { arguments: { note: SECRET_ARG } })));
        expect(error.code).toBe("audit_unavailable");
        expect(error.message).toContain("locked by another connection (waited 300 ms)");
        expect(error.message).not.toContain(SECRET_ARG);
        expect(ms).toBeLessThan(2_000);
        other.exec("COMMIT");
        const next = await store.append(entryFor("c-4"));
        expect(next.seq).toBe(3);
        expect(await verifyChain(store.iterate(), { head: (await store.head())! })).toMatchObject({ ok: true, count: 3 });
      } finally {
        if (other.inTransaction) other.exec("ROLLBACK");
        other.close();
        await store.close();
      }
    });
  }
});

describe("audit store on a full disk", () => {
  let mountPoint = "";
  let mounted = false;

  beforeAll(async () => {
    const uid = process.getuid?.();
    // Deliberately not a skip: without root this evidence is missing, and the run must say so.
    expect(uid, "this test mounts a 1 MiB tmpfs and must run as root (uid 0); run it as root or in a container that allows mount").toBe(0);
    mountPoint = await tempDataDir();
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]);
    mounted = true;
  });

  afterAll(() => {
    if (mounted) execFileSync("umount", [mountPoint]);
    if (mountPoint) rmSync(mountPoint, { recursive: true, force: true });
  });

  /** Fills the file system to the last byte; returns the filler's path. */
  it("refuses appends promptly with audit_unavailable, and verifies and appends again once space returns", async () => {
    const data = join(mountPoint, "data");
    const store = await SqliteAuditStore.open(data);
    try {
      await appendCalls(store, 3);
      const filler = fillVolume(mountPoint);
      let refused: { error: McpgovError; ms: number } | undefined;
      // The WAL may still have room in pages it already holds; the next pages it needs do not exist.
      for (let i = 4; i < 200 && !refused; i++) {
        const started = Date.now();
        try {
          await store.append(entryFor(`c-${i}`, { arguments: { note: SECRET_ARG, pad: "x".repeat(6_000) } }));
        } catch (error) {
          expect(error).toBeInstanceOf(McpgovError);
          refused = { error: error as McpgovError, ms: Date.now() - started };
        }
      }
      expect(refused, "an append on a full disk should have been refused").toBeDefined();
      expect(refused!.error.code).toBe("audit_unavailable");
      expect(refused!.error.message).toContain("full");
      expect(refused!.error.message).not.toContain(SECRET_ARG);
      expect(refused!.ms).toBeLessThan(2_000);
      const before = await store.head();
      expect(await verifyChain(store.iterate(), { head: before! })).toMatchObject({ ok: true });

      rmSync(filler);
      const next = await store.append(entryFor("c-after"));
      expect(next.seq).toBe(before!.seq + 1);
      await store.close();
      const reopened = await SqliteAuditStore.open(data);
      try {
        expect(await verifyChain(reopened.iterate(), { head: (await reopened.head())! })).toMatchObject({ ok: true, count: next.seq });
        expect((await collect(reopened.iterate())).map((r) => r.call_id).at(-1)).toBe("c-after");
      } finally {
        await reopened.close();
      }
    } finally {
      await store.close();
    }
  });
});
