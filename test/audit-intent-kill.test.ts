/**
 * Evidence before execution: a gateway-like process records the intent,
 * "dispatches" (says so), and is killed (SIGKILL) before it can record the
 * outcome. The intent is there, the chain verifies, and `audit verify` and
 * `audit why` report the call's outcome as unknown. The process runs the
 * built store (dist/, made by `npm run build`).
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
import { collect, tempDataDir } from "./helpers/audit-fixtures.js";
import { repoRoot, runCli } from "./helpers/cli.js";

const dist = (path: string) => pathToFileURL(join(repoRoot, "dist", path)).href;

/** One call runs to the end (intent, outcome); the second is dispatched and then hangs until killed. */
const GATEWAY = `
import { SqliteAuditStore } from ${JSON.stringify(dist("src/audit/sqlite-audit-store.js"))};
import { auditEntryFor, intentEntryFor } from ${JSON.stringify(dist("src/audit/audit-entry.js"))};
import { jsonDigest } from ${JSON.stringify(dist("src/bundle/hash.js"))};
import { buildEnvelope } from ${JSON.stringify(dist("src/core/envelope.js"))};

const store = await SqliteAuditStore.open(process.argv[2]);
const decision = { decision: "ALLOW", rules: ["allow-all"], reason: "allow-all: ok", constraints: {}, matched: [], bundle: { hash: "sha256:" + "b".repeat(64), revision: "r1" } };
const envelopeOf = (callId) => buildEnvelope({ callId, server: "github", tool: "create_issue", arguments: { n: 1 }, argumentsDigest: jsonDigest({ n: 1 }),
  action: "write", subject: { id: "agent" }, time: new Date().toISOString() });
for (const callId of ["done", "killed"]) {
  const envelope = envelopeOf(callId);
  const intent = await store.append(intentEntryFor({ envelope, decision, decisionLatencyUs: 10 }));
  process.stdout.write("dispatched " + callId + "\\n");
  if (callId === "killed") await new Promise(() => setInterval(() => undefined, 1000));
  await store.append(auditEntryFor({ envelope, decision, outcome: "executed", decisionLatencyUs: 10, upstreamLatencyMs: 1, intentSeq: intent.seq, maskedEnvelope: intent.envelope }));
}
`;

let dir: string;
beforeAll(async () => {
  expect(existsSync(join(repoRoot, "dist", "src", "audit", "sqlite-audit-store.js")), "run `npm run build` first").toBe(true);
  dir = await tempDataDir();
  await writeFile(join(dir, "gateway.mjs"), GATEWAY);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("a gateway killed after dispatch", () => {
  it("leaves the intent: the chain verifies and the call's outcome is reported unknown", async () => {
    const data = join(dir, "data");
    const child = spawn(process.execPath, [join(dir, "gateway.mjs"), data], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    for await (const line of createInterface({ input: child.stdout })) if (line === "dispatched killed") child.kill("SIGKILL");
    expect(await exited, stderr).toBe("SIGKILL");

    const store = await SqliteAuditStore.open(data, { create: false });
    try {
      expect(await verifyChain(store.iterate(), { head: (await store.head())! })).toMatchObject({ ok: true, count: 3 });
      expect((await collect(store.outcomeUnknown())).map((u) => u.call_id)).toEqual(["killed"]);
    } finally {
      await store.close();
    }
    const verify = await runCli(["audit", "verify", "--data-dir", data]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("1 call(s) with outcome unknown");
    const why = await runCli(["audit", "why", "killed", "--data-dir", data]);
    expect(why.stdout).toMatch(/outcome unknown: intent recorded at \S+ \(seq 3\), no outcome/);
  });
});
