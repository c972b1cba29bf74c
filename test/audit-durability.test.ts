/**
 * A writer process is killed (SIGKILL) in the middle of appending; every
 * record whose append had returned must still be there, on a valid chain.
 * The writer runs the built store (dist/, made by `npm run build`).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/hash-chain.js";
import { SqliteAuditStore } from "../src/audit/sqlite-audit-store.js";
import { tempDataDir } from "./helpers/audit-fixtures.js";
import { repoRoot } from "./helpers/cli.js";

const dist = (path: string) => pathToFileURL(join(repoRoot, "dist", path)).href;

/** Four async writers append as fast as they can and print each call id once its append has returned. */
const WRITER = `
import { SqliteAuditStore } from ${JSON.stringify(dist("src/audit/sqlite-audit-store.js"))};
import { auditEntryFor } from ${JSON.stringify(dist("src/audit/audit-entry.js"))};
import { jsonDigest } from ${JSON.stringify(dist("src/bundle/hash.js"))};
import { buildEnvelope } from ${JSON.stringify(dist("src/core/envelope.js"))};

const [dataDir, synchronous] = process.argv.slice(2);
const store = await SqliteAuditStore.open(dataDir, { synchronous });
const decision = { decision: "ALLOW", rules: ["allow-all"], reason: "allow-all: ok", constraints: {}, matched: [], bundle: { hash: "sha256:" + "b".repeat(64), revision: "r1" } };
async function writer(name) {
  for (let i = 0; ; i++) {
    const args = { n: i, token: "secret-" + i };
    const envelope = buildEnvelope({ callId: name + "-" + i, server: "github", tool: "create_issue", arguments: args, argumentsDigest: jsonDigest(args),
      action: "write", subject: { id: "agent" }, time: new Date().toISOString() });
    const record = await store.append(auditEntryFor({ envelope, decision, outcome: "executed", decisionLatencyUs: 10, upstreamLatencyMs: 1 }));
    process.stdout.write(record.call_id + "\\n");
  }
}
await Promise.all(["a", "b", "c", "d"].map(writer));
`;

let dir: string;
beforeAll(async () => {
  dir = await tempDataDir();
  await writeFile(join(dir, "writer.mjs"), WRITER);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the writer until it has reported `target` appends, then kills it; returns the reported call ids. */
async function killMidStream(dataDir: string, synchronous: "full" | "normal", target: number): Promise<string[]> {
  const child = spawn(process.execPath, [join(dir, "writer.mjs"), dataDir, synchronous], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  const reported: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    reported.push(line);
    if (reported.length === target) child.kill("SIGKILL");
  }
  expect(await exited, stderr).toBe("SIGKILL");
  return reported;
}

describe("SqliteAuditStore durability", () => {
  it.each(["full", "normal"] as const)("keeps every returned append when the writer is killed (synchronous=%s)", async (synchronous) => {
    expect(existsSync(join(repoRoot, "dist", "src", "audit", "sqlite-audit-store.js")), "run `npm run build` first").toBe(true);
    const dataDir = join(dir, `data-${synchronous}`);
    const reported = await killMidStream(dataDir, synchronous, 400);
    expect(reported.length).toBeGreaterThanOrEqual(400);

    const store = await SqliteAuditStore.open(dataDir, { create: false });
    try {
      const missing: string[] = [];
      for (const callId of reported) if (!(await store.get(callId))) missing.push(callId);
      expect(missing).toEqual([]);
      const verdict = await verifyChain(store.iterate(), { head: (await store.head())! });
      expect(verdict.ok).toBe(true);
      // At most the appends in flight at the kill are stored but unreported.
      expect(verdict.count - reported.length).toBeLessThanOrEqual(4);
      expect((await store.get(reported[0]!))?.envelope.call.arguments).toEqual({ n: 0, token: "[MASKED]" });
    } finally {
      await store.close();
    }
  });
});
