/**
 * @module `mcpgov dryrun`: the seed's "next step", run for real against a
 * gateway. It forces a production write through REQUIRE_APPROVAL and checks
 * every promise the approval service makes, one PASS/FAIL line each.
 *
 * It works whether the gateway makes calls wait for their approval or answers
 * at once (approvals.wait_sec): every call is started, its request found in
 * the queue, and the call's result read after the approver acted. Requests it
 * leaves behind are denied with a reason naming the dryrun.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { readBundleArchive, writeBundleArchive } from "../bundle/archive.js";
import { bundleContentHash, jsonDigest } from "../bundle/hash.js";
import { withRevision } from "../bundle/restamp.js";
import { type SigningKey, signBundleFiles } from "../bundle/signing.js";
import { callBinding } from "../core/approval.js";
import { approvalStepOf, isCallRecord } from "../core/audit-record.js";
import { describeThrown } from "../core/errors.js";
import type { ShownApproval } from "../report/approvals-report.js";
import { AdminApi } from "../admin/admin-api.js";

export interface DryrunOptions {
  gateway: string;
  server: string;
  tool: string;
  /** Arguments of the write; by default a new file in the server's first allowed directory (server-filesystem). */
  arguments?: Record<string, unknown>;
  /** The active bundle's file: re-stamped under a new revision to prove a swap voids approvals, then restored. */
  bundlePath: string;
  tokens: { requester: string; approver: string; admin: string };
  /**
   * Signs the re-stamped bundle when the gateway requires signatures
   * (`bundle_signing`): its stamp changed, so the original signature no
   * longer covers it. Without it such a gateway refuses the swap.
   */
  signer?: SigningKey;
  /** How long to wait for a request to show up or a call to finish. */
  timeoutMs?: number;
}

export interface Check {
  ok: boolean;
  name: string;
  detail: string;
}

interface HeldCall {
  request: ShownApproval;
  result: Promise<CallToolResult>;
  abort(): void;
}

const metaOf = (result: CallToolResult): Record<string, unknown> | undefined => result._meta?.["mcpgov/decision"] as Record<string, unknown> | undefined;
const textOf = (result: CallToolResult): string => result.content.map((c) => (c.type === "text" ? c.text : "")).join("");
const sameJson = (a: unknown, b: unknown): boolean => jsonDigest(a) === jsonDigest(b);

export async function runDryrun(options: DryrunOptions, report: (check: Check) => void): Promise<Check[]> {
  const checks: Check[] = [];
  const check = (ok: boolean, name: string, detail: string): boolean => {
    const entry = { ok, name, detail };
    checks.push(entry);
    report(entry);
    return ok;
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const approver = new AdminApi(options.gateway, options.tokens.approver);
  const admin = new AdminApi(options.gateway, options.tokens.admin);
  const requesterApi = new AdminApi(options.gateway, options.tokens.requester);
  const client = new Client({ name: "mcpgov-dryrun", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`/mcp/${encodeURIComponent(options.server)}`, options.gateway), {
      requestInit: { headers: { authorization: `Bearer ${options.tokens.requester}` } },
    }),
  );
  const known = new Set((await approver.list("")).map((r) => r.id));

  /** Starts a call and finds the approval request it opened (from its answer, or from the queue while it waits). */
  const hold = async (args: Record<string, unknown>): Promise<HeldCall> => {
    const controller = new AbortController();
    let settled: CallToolResult | undefined;
    const result = client
      .callTool({ name: options.tool, arguments: args }, CallToolResultSchema, { signal: controller.signal, timeout: timeoutMs * 4 })
      .then((r) => (settled = r as CallToolResult));
    result.catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const fromAnswer = settled ? metaOf(settled)?.["approval_id"] : undefined;
      if (typeof fromAnswer === "string") {
        known.add(fromAnswer);
        return { request: await approver.get(fromAnswer), result, abort: () => controller.abort() };
      }
      if (settled) throw new Error(`the call was answered without an approval request: ${textOf(settled).slice(0, 300)}`);
      for (const summary of await approver.list("state=pending")) {
        if (known.has(summary.id) || summary.tool !== options.tool || summary.server !== options.server) continue;
        const request = await approver.get(summary.id);
        if (!sameJson(request.arguments, args)) continue;
        known.add(summary.id);
        return { request, result, abort: () => controller.abort() };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no approval request appeared within ${timeoutMs} ms`);
  };
  /** A call that must not run: deny its request (cleanup) and read its answer. */
  const refuse = async (held: HeldCall, why: string): Promise<CallToolResult> => {
    if ((await approver.get(held.request.id)).state === "pending") await approver.decide(held.request.id, "deny", `mcpgov dryrun: ${why}`);
    return held.result;
  };

  try {
    const args = options.arguments ?? (await defaultArguments(client, options.tool));
    const activeBefore = (await admin.activeBundle()).hash;

    // 1-3: held, bound, routed.
    const first = await hold(args);
    const request = first.request;
    check(request.state === "pending" && request.rules.length > 0, "the production write is held for approval", `${request.id} by rules ${request.rules.join(", ")}`);
    const digest = jsonDigest(callBinding({ server: options.server, tool: options.tool, arguments: args, subject: request.subject }));
    check(
      request.bundle.hash === activeBefore && request.call_digest === digest,
      "the request is bound to the active bundle and to this exact call",
      `bundle ${request.bundle.hash}${request.bundle.hash === activeBefore ? "" : ` but ${activeBefore} is active`}; call digest ${request.call_digest === digest ? "matches" : "DIFFERS"}`,
    );
    const expectedGroup = request.constraints.approver_group;
    const inQueue = (await approver.list(`state=pending&group=${encodeURIComponent(request.group)}`)).some((r) => r.id === request.id);
    check(
      inQueue && (expectedGroup === undefined || expectedGroup === request.group),
      "the request is routed to the policy's approver queue",
      `group "${request.group}"${expectedGroup ? " (named by the policy)" : " (the gateway's default group)"}`,
    );

    // 4-6: a second identity approves; the call runs exactly once.
    const self = await requesterApi.tryDecide(request.id, "approve", "approving my own request");
    check(self.status === 403, "the requester cannot approve their own request", `the gateway answered ${self.status}`);
    const approved = await approver.decide(request.id, "approve", "mcpgov dryrun: approved by a second identity");
    check(
      approved.state === "approved" && approved.decided_by?.id !== request.subject.id,
      "a second identity approves it",
      `${approved.decided_by?.id} approved the request of ${request.subject.id}`,
    );
    let ran = await first.result;
    if (metaOf(ran)?.["approval_id"] === request.id && ran.isError) ran = (await client.callTool({ name: options.tool, arguments: args })) as CallToolResult; // the retry path
    const used = await approver.get(request.id);
    check(!ran.isError && used.state === "used", "the approved call runs", `state ${used.state}, run as call ${used.used_by_call ?? "-"}`);

    const replay = await hold(args);
    const replayed = await refuse(replay, "a replay must not run");
    check(replay.request.id !== request.id && replayed.isError === true, "a replay of the used approval is refused", `it opened a new request ${replay.request.id} instead of running`);

    // 7: tampered arguments never ride on an approval.
    const second = { ...args, ...tamperable(args, "") };
    const pendingSecond = await hold(second);
    pendingSecond.abort(); // the request outlives the call: approve it with nobody waiting on it
    await pendingSecond.result.catch(() => undefined);
    await approver.decide(pendingSecond.request.id, "approve", "mcpgov dryrun: approved, then tampered with");
    const tampered = await hold({ ...second, ...tamperable(second, " (tampered)") });
    const tamperedAnswer = await refuse(tampered, "tampered arguments must not run");
    const stillApproved = await approver.get(pendingSecond.request.id);
    check(
      tampered.request.id !== pendingSecond.request.id && tamperedAnswer.isError === true && stillApproved.state === "approved",
      "an argument-tampered retry is refused",
      `the approved request ${pendingSecond.request.id} stays unused; the tampered call opened ${tampered.request.id}`,
    );

    // 8: a bundle swap voids the outstanding approval.
    const original = await readFile(options.bundlePath);
    const files = await readBundleArchive(options.bundlePath);
    if (bundleContentHash(files) !== activeBefore) throw new Error(`${options.bundlePath} is not the active bundle (${activeBefore}); pass the active bundle's file with --bundle`);
    const restamped = withRevision(files, `dryrun-${Date.now()}`);
    const swapped = await admin.uploadBundle(await archiveBytes(options.signer ? await signBundleFiles(restamped, options.signer) : restamped));
    try {
      const voided = await approver.get(pendingSecond.request.id);
      const again = await hold(second);
      await refuse(again, "decided again under the new bundle");
      check(
        swapped.hash !== activeBefore && voided.state === "void" && again.request.bundle.hash === swapped.hash,
        "swapping the bundle voids an outstanding approval",
        `${pendingSecond.request.id} is ${voided.state}; the same call is held again under ${swapped.hash}`,
      );
    } finally {
      const restored = await admin.uploadBundle(original);
      check(restored.hash === activeBefore, "the original bundle is active again", restored.hash);
    }

    // 9: the audit store shows it all.
    const records = await admin.records(`approval_id=${encodeURIComponent(request.id)}`);
    const events = records.map(approvalStepOf).filter((e): e is string => typeof e === "string");
    const runs = records.filter((r) => isCallRecord(r) && r.outcome === "executed");
    check(
      ["created", "routed", "approved", "executed"].every((e) => events.includes(e)) && runs.length === 1,
      "the audit store shows the request's whole life, and exactly one execution",
      `events ${events.join(" → ")}; executed calls: ${runs.length}`,
    );
    const voidRecords = await admin.records(`approval_id=${encodeURIComponent(pendingSecond.request.id)}`);
    check(voidRecords.some((r) => approvalStepOf(r) === "voided"), "the audit store records the voiding", `${voidRecords.length} records for ${pendingSecond.request.id}`);
    const verdict = await admin.verify();
    check(verdict.ok, "the audit chain verifies", verdict.ok ? `${verdict.count} records` : JSON.stringify(verdict));
  } catch (error) {
    check(false, "dryrun finished", describeThrown(error));
  } finally {
    await client.close().catch(() => undefined);
  }
  return checks;
}

/** The same arguments with one string value changed: the first string property gets the suffix. */
function tamperable(args: Record<string, unknown>, suffix: string): Record<string, unknown> {
  const key = Object.keys(args).reverse().find((k) => typeof args[k] === "string");
  if (!key) return { mcpgov_dryrun: suffix || "second" };
  return { [key]: `${String(args[key])}${suffix || " (second)"}` };
}

/** A new file in the server's first allowed directory, for server-filesystem's write tools. */
async function defaultArguments(client: Client, tool: string): Promise<Record<string, unknown>> {
  if (tool !== "write_file") throw new Error(`give --arguments for ${tool}: only write_file has default arguments`);
  const listed = (await client.callTool({ name: "list_allowed_directories", arguments: {} })) as CallToolResult;
  const directory = textOf(listed)
    .split("\n")
    .map((line) => line.trim())
    .find((line) => line.startsWith("/"));
  if (listed.isError || !directory) throw new Error(`cannot find an allowed directory: ${textOf(listed).slice(0, 200)}`);
  return { path: `${directory}/mcpgov-dryrun-${Date.now()}.txt`, content: `mcpgov dryrun ${new Date().toISOString()}\n` };
}

async function archiveBytes(files: Parameters<typeof writeBundleArchive>[1]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "mcpgov-dryrun-"));
  try {
    await writeBundleArchive(join(dir, "bundle.tar.gz"), files);
    return await readFile(join(dir, "bundle.tar.gz"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
