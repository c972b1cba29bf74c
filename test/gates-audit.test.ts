/**
 * The approval queue's median wait as `mcpgov gates --data-dir` reads it
 * from a real SQLite audit store: decided requests in the window, each
 * measured from its approval.created event (which may be older).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEvent } from "../src/audit/audit-event.js";
import { SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { DEFAULT_GATES, evaluateGates } from "../src/core/gates.js";
import { auditMeasures } from "../src/gates/audit-measures.js";
import { silentLogger } from "../src/logger.js";
import { tempDir } from "./helpers/bundles.js";

let dir: string;
let store: SqliteAuditStore;
const BUNDLE = { hash: `sha256:${"a".repeat(64)}`, revision: "r1" };

beforeAll(async () => {
  dir = await tempDir("mcpgov-gates-audit-");
  store = await SqliteAuditStore.open(join(dir, "data"));
  const sink = { audit: store, logger: silentLogger };
  const step = (event: string, approvalId: string, time: string) =>
    appendEvent(sink, { event: `approval.${event}`, time, server: "filesystem", tool: "write_file", bundle: BUNDLE, approvalId, details: { group: "default" } });
  // Waits of 65, 15 and 40 minutes; the first request was created before the window opens.
  await step("created", "apr-1", "2026-12-07T09:00:00.000Z");
  await step("created", "apr-2", "2026-12-07T10:15:00.000Z");
  await step("created", "apr-3", "2026-12-07T10:10:00.000Z");
  await step("approved", "apr-1", "2026-12-07T10:05:00.000Z"); // waited 65 min, decided inside the window
  await step("denied", "apr-2", "2026-12-07T10:30:00.000Z"); // 15 min
  await step("approved", "apr-3", "2026-12-07T10:50:00.000Z"); // 40 min
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe("audit-store gates", () => {
  it("reads the median queue wait over the window and blocks above 20 minutes", async () => {
    const measure = await auditMeasures(store, { since: "2026-12-07T10:00:00.000Z", until: "2026-12-07T11:00:00.000Z", label: "the test hour" });
    const verdict = evaluateGates(DEFAULT_GATES.gates, measure);
    const wait = verdict.results.find((r) => r.id === "approval-queue-median-wait");
    expect(wait).toMatchObject({ status: "block", value: 40 * 60, note: "the audit records of the test hour (3 approval decisions)" });
    expect(verdict.blocked).toBe(true);
  });

  it("passes when the decisions in the window waited less", async () => {
    const measure = await auditMeasures(store, { since: "2026-12-07T10:20:00.000Z", until: "2026-12-07T10:40:00.000Z", label: "20 minutes" });
    const wait = evaluateGates(DEFAULT_GATES.gates, measure).results.find((r) => r.id === "approval-queue-median-wait");
    expect(wait).toMatchObject({ status: "pass", value: 15 * 60 });
  });
});
