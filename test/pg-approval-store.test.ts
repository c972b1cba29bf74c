/**
 * @module PgApprovalStore runs the ApprovalStore contract on a real
 * PostgreSQL (a hand edit comes in through a plain connection), and two
 * real processes race for the same approvals, as for SQLite.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PgApprovalStore } from "../src/approvals/pg-approval-store.js";
import { approvalStoreContract, pendingRequest } from "./approval-store.contract.js";
import { repoRoot } from "./helpers/cli.js";
import { usePostgres } from "./helpers/embedded-pg.js";

const postgres = usePostgres();

approvalStoreContract("PgApprovalStore", async () => {
  const { drop, ...options } = await postgres().freshSchema();
  return {
    open: () => PgApprovalStore.open(options),
    // A hand edit: the arguments of the immutable body turned into a string.
    tamper: async (id) => {
      const client = await postgres().client(options.schema);
      try {
        const { body } = (await client.query<{ body: string }>("SELECT body FROM approvals WHERE id = $1", [id])).rows[0]!;
        await client.query("UPDATE approvals SET body = $1 WHERE id = $2", [JSON.stringify({ ...JSON.parse(body), arguments: "rm -rf /" }), id]);
        return async () => {
          const again = await postgres().client(options.schema);
          try {
            await again.query("UPDATE approvals SET body = $1 WHERE id = $2", [body, id]);
          } finally {
            await again.end();
          }
        };
      } finally {
        await client.end();
      }
    },
    cleanup: drop,
  };
});

/** A process that consumes each id once for its own call id and prints which it won. */
const RACER = `
import { PgApprovalStore } from ${JSON.stringify(join(repoRoot, "dist", "src", "approvals", "pg-approval-store.js"))};
const [options, name, subjectId, bundleHash, ...ids] = process.argv.slice(1);
const store = await PgApprovalStore.open(JSON.parse(options));
process.stdout.write("ready\\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
const won = [];
for (const id of ids) {
  const result = await store.consume(id, { callId: name + ":" + id, subjectId, bundleHash, at: "2026-04-01T09:10:00.000Z" });
  if (result.ok) won.push(id);
  else if (result.reason !== "wrong_state") throw new Error(id + ": " + result.reason);
}
await store.close();
process.stdout.write(JSON.stringify(won));
process.stdin.destroy();
`;

function racer(name: string, options: string, args: string[]) {
  const child = spawn(process.execPath, ["--input-type=module", "-e", RACER, options, name, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith("ready\n")) markReady();
  });
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const won = new Promise<string[]>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      markReady();
      if (code === 0) resolve(JSON.parse(out.slice("ready\n".length)) as string[]);
      else reject(new Error(`${name} exited ${code}: ${err}`));
    });
  });
  return { ready, won, go: () => child.stdin.write("go\n"), stop: () => child.exitCode === null && child.kill("SIGKILL") };
}

describe("PgApprovalStore across processes", () => {
  it("lets exactly one of two processes consume each approval", { timeout: 60_000 }, async () => {
    expect(existsSync(join(repoRoot, "dist", "src", "approvals", "pg-approval-store.js")), "needs `npm run build`").toBe(true);
    const { drop, ...options } = await postgres().freshSchema();
    let racers: Array<ReturnType<typeof racer>> = [];
    try {
      const store = await PgApprovalStore.open(options);
      const ids = Array.from({ length: 50 }, (_, i) => `apr-proc-${i}`);
      for (const id of ids) {
        await store.create(pendingRequest(id));
        await store.decide(id, { state: "approved", by: { id: "bob", via: "local-store" }, reason: "ok", at: "2026-04-01T09:05:00.000Z" });
      }
      const { subject, bundle } = pendingRequest("x");
      const args = [subject.id, bundle.hash, ...ids];
      racers = [racer("a", JSON.stringify(options), args), racer("b", JSON.stringify(options), args)];
      await Promise.all(racers.map((r) => r.ready));
      for (const r of racers) r.go();
      const [a, b] = (await Promise.all(racers.map((r) => r.won))) as [string[], string[]];
      expect([...a, ...b].sort()).toEqual([...ids].sort());
      for (const id of ids) {
        const winner = a.includes(id) ? "a" : "b";
        expect(await store.get(id)).toMatchObject({ state: "used", used_by_call: `${winner}:${id}` });
      }
      await store.close();
    } finally {
      for (const r of racers) r.stop();
      await drop();
    }
  });
});
