/**
 * The README's first command, for real: `mcpgov demo` builds the reference
 * bundle, prepares the demo registry and serves it; `mcpgov dryrun` then
 * passes against that gateway. The demo's config is copied to a scratch
 * folder (with node_modules linked) so the test writes nothing into the
 * repository, and listens on a free port instead of 8787.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { copyFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/bundles.js";
import { repoRoot, runCli } from "./helpers/cli.js";
import { expectExample } from "./helpers/readme.js";
import { stopServe } from "./helpers/serve-process.js";

function runNode(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env } }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

const KEYS = {
  MCPGOV_DEMO_KEY_ALICE: "demo-alice-key-0123456789",
  MCPGOV_DEMO_KEY_BOB: "demo-bob-key-0123456789ab",
  MCPGOV_DEMO_KEY_OPS: "demo-ops-key-0123456789ab",
};

let dir: string | undefined;
let child: ChildProcess | undefined;
afterAll(async () => {
  if (child) await stopServe(child, "SIGTERM");
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the demo gateway", () => {
  it("serves the README's demo, and mcpgov dryrun passes against it", { timeout: 240_000 }, async () => {
    dir = await tempDir("mcpgov-demo-");
    mkdirSync(join(dir, "config"));
    await copyFile(join(repoRoot, "config", "demo.mcpgov.yaml"), join(dir, "config", "demo.mcpgov.yaml"));
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
    const bundle = join(dir, "bundles", "reference.tar.gz");

    child = spawn(process.execPath, [join(repoRoot, "bin", "mcpgov.js"), "demo", "--config", join(dir, "config", "demo.mcpgov.yaml"), "--output", bundle], {
      cwd: repoRoot,
      env: { ...process.env, ...KEYS, MCPGOV_LISTEN_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const output: string[] = [];
    createInterface({ input: child.stderr! }).on("line", (line) => output.push(line));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${output.join("\n")}`)), 180_000);
      createInterface({ input: child!.stdout! }).on("line", (line) => {
        output.push(line);
        const match = /^mcpgov gateway listening on (\S+)$/.exec(line);
        if (!match) return;
        clearTimeout(timer);
        resolve(match[1]!);
      });
      child!.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the demo exited with ${code}:\n${output.join("\n")}`));
      });
    });
    expect(output.join("\n")).toContain("node bin/mcpgov.js dryrun --gateway");
    await expect.poll(() => output.some((line) => line.startsWith("connect an MCP client")), { timeout: 10_000 }).toBe(true);
    expectExample("demo-banner", output.filter((line) => /^(mcpgov gateway listening|bundle sha256| {2}\w+ +http)/.test(line)).join("\n").replaceAll(url, "http://127.0.0.1:8787"));

    // The README's session, its approvals list and the audit trail of the write.
    const session = await runNode([join(repoRoot, "dist", "scripts", "demo-session.js")], { ...KEYS, MCPGOV_URL: url });
    expect(session.code, session.stderr).toBe(0);
    expectExample("demo-session", session.stdout.replaceAll(dir, "…"));
    const list = await runCli(["approvals", "list", "--gateway", url], { env: { MCPGOV_TOKEN: KEYS.MCPGOV_DEMO_KEY_BOB } });
    expectExample("approvals-list", `$ MCPGOV_TOKEN=$MCPGOV_DEMO_KEY_BOB mcpgov approvals list\n${list.stdout}`);
    const callId = /call id (\S+), approval/.exec(session.stdout)![1]!;
    const why = await runCli(["audit", "why", callId, "--data-dir", join(dir, ".mcpgov-data")]);
    expect(why.code, why.stderr).toBe(0);
    expectExample("audit-why", `$ mcpgov audit why ${callId} --data-dir .mcpgov-data\n${why.stdout}`);

    const run = await runCli(["dryrun", "--gateway", url, "--bundle", bundle], {
      env: { MCPGOV_DRYRUN_REQUESTER_TOKEN: KEYS.MCPGOV_DEMO_KEY_ALICE, MCPGOV_DRYRUN_APPROVER_TOKEN: KEYS.MCPGOV_DEMO_KEY_BOB, MCPGOV_DRYRUN_ADMIN_TOKEN: KEYS.MCPGOV_DEMO_KEY_OPS },
    });
    expect(run.stdout).toContain("dryrun: 13 passed, 0 failed");
    expectExample("dryrun", `$ mcpgov dryrun --gateway http://127.0.0.1:8787 --bundle bundles/reference.tar.gz\n${run.stdout}`);
    expect(run.stdout).not.toContain("FAIL");
    expect(run.code).toBe(0);
  });
});
