/**
 * @module `mcpgov audit why CALL_ID | verify | export`: explain a call, check
 * the hash chain, export envelopes and decision logs from the audit store.
 *
 * The three subcommands are one yargs command with a subcommand positional:
 * cli/run.ts takes the exit code from the handler of the command it
 * registered, and a nested yargs command's handler would replace that
 * handler, losing `verify`'s exit code 2.
 */
import type { Argv } from "yargs";
import { exportAudit, fileSink, lineSink, type JsonlSink } from "../../src/audit/audit-export.js";
import type { AuditQuery, OutcomeUnknown } from "../../src/audit/audit-store.js";
import { recordHash, verifyChain } from "../../src/audit/hash-chain.js";
import type { AuditStore } from "../../src/audit/audit-store.js";
import { PgAuditStore } from "../../src/audit/pg-audit-store.js";
import { SqliteAuditStore } from "../../src/audit/sqlite-audit-store.js";
import { stateIssues } from "../../src/core/gateway-config.js";
import { isCallRecord, type AuditRecord } from "../../src/core/audit-record.js";
import { DecisionKindSchema, type DecisionKind } from "../../src/core/decision.js";
import { McpgovError } from "../../src/core/errors.js";
import { formatVerdict, formatWhy, type AuditFormat, type ExplainedRecord } from "../../src/report/audit-report.js";
import type { CliIo, ExitCode } from "../io.js";
import { createProgress } from "../progress.js";
import { hiddenRenamedOption, renamedEnv, renamedFlag } from "../renamed.js";

export const DEFAULT_DATA_DIR = ".mcpgov-data";

const SUBCOMMANDS = ["why", "verify", "export"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

interface AuditArgs {
  subcommand: Subcommand;
  call_id?: string;
  dataDir?: string;
  /** Deprecated spelling of --data-dir. */
  data?: string;
  state?: string;
  format: AuditFormat;
  envelopes?: string;
  decisionLog?: string;
  since?: string;
  until?: string;
  server?: string;
  tool?: string;
  decision?: DecisionKind;
  quiet: boolean;
}

const EXPORT_ONLY = ["envelopes", "decisionLog", "since", "until", "server", "tool", "decision"] as const;
const FLAG: Record<(typeof EXPORT_ONLY)[number], string> = {
  envelopes: "--envelopes",
  decisionLog: "--decision-log",
  since: "--since",
  until: "--until",
  server: "--server",
  tool: "--tool",
  decision: "--decision",
};

/**
 * The audit store to read: PostgreSQL when --state or MCPGOV_STATE names one
 * (password from PGPASSWORD or ~/.pgpass, never in the URL), else the
 * SQLite file in the data folder. Never creates either.
 */
export async function openAudit(argv: Pick<AuditArgs, "dataDir" | "data" | "state">, io: CliIo): Promise<{ store: AuditStore; where: string }> {
  const env = io.env;
  const flag = renamedFlag(io, { old: "data", now: "data-dir" }, argv.dataDir, argv.data);
  const state = argv.state || env["MCPGOV_STATE"];
  if (!state) {
    const dir = dataDir(flag, io);
    return { store: await SqliteAuditStore.open(dir, { create: false }), where: dir };
  }
  if (flag !== undefined) throw new McpgovError("usage", "give --data-dir (SQLite) or --state (PostgreSQL), not both");
  const problem = stateIssues({ state })[0];
  if (problem) throw new McpgovError("usage", `--state ${problem.message}`);
  const password = env["PGPASSWORD"];
  const store = await PgAuditStore.open({ url: state, create: false, ...(password ? { password } : {}) });
  return { store, where: new URL(state).host };
}

/** Flags > MCPGOV_DATA_DIR (the gateway's own variable; MCPGOV_DATA is its deprecated spelling) > the default. */
export function dataDir(flag: string | undefined, io: CliIo): string {
  return flag || renamedEnv(io, "MCPGOV_DATA_DIR", "MCPGOV_DATA") || DEFAULT_DATA_DIR;
}

function checkArguments(argv: AuditArgs): void {
  if (argv.subcommand === "why" && !argv.call_id) throw new McpgovError("usage", "audit why needs a CALL_ID");
  if (argv.subcommand !== "why" && argv.call_id !== undefined) {
    throw new McpgovError("usage", `audit ${argv.subcommand} takes no CALL_ID (got ${JSON.stringify(argv.call_id)})`);
  }
  if (argv.subcommand !== "export") {
    const stray = EXPORT_ONLY.filter((key) => argv[key] !== undefined).map((key) => FLAG[key]);
    if (stray.length > 0) throw new McpgovError("usage", `${stray.join(", ")} only apply to audit export`);
    return;
  }
  if (!argv.envelopes && !argv.decisionLog) throw new McpgovError("usage", "audit export needs --envelopes OUT.jsonl and/or --decision-log OUT.jsonl");
  if (argv.envelopes === "-" && argv.decisionLog === "-") throw new McpgovError("usage", "only one of --envelopes and --decision-log can go to stdout");
}

/**
 * The call's records (its intent, its outcome, events linked to it), and
 * when an approval was involved, every record of that approval too (its
 * creation, routing, decision, expiry and the call that ran on it), in
 * chain order. An intent without an outcome is said so.
 */
async function why(store: AuditStore, callId: string, dir: string, format: AuditFormat, io: CliIo): Promise<ExitCode> {
  const head = await store.head();
  const bySeq = new Map<number, AuditRecord>();
  for await (const record of store.query({ callId })) bySeq.set(record.seq, record);
  const approvals = new Set<string>();
  for (const record of bySeq.values()) {
    const id = record.kind === "event" ? record.approval_id : record.extra["approval_id"];
    if (typeof id === "string") approvals.add(id);
  }
  for (const approvalId of approvals) for await (const record of store.query({ approvalId })) bySeq.set(record.seq, record);
  const records: ExplainedRecord[] = [...bySeq.values()]
    .sort((a, b) => a.seq - b.seq)
    .map((record) => ({ record, sealIntact: recordHash(record) === record.hash, ...(head ? { headSeq: head.seq } : {}) }));
  if (records.length === 0) throw new McpgovError("input_invalid", `no audit record for call id ${JSON.stringify(callId)} in ${dir}`);
  const own = records.map((r) => r.record).filter((r) => r.call_id === callId);
  const intent = own.find((r) => r.kind === "intent");
  const unknown = intent && !own.some(isCallRecord) ? { call_id: callId, seq: intent.seq, time: intent.time, server: intent.server ?? "", tool: intent.tool ?? "" } : undefined;
  io.out(formatWhy(records, format, unknown));
  // A record whose own hash fails is evidence of tampering: say so in the exit code too.
  return records.every((r) => r.sealIntact) ? 0 : 2;
}

/** The chain's verdict, and the dispatched calls whose outcome was never recorded (reported, not a break). */
async function verify(store: AuditStore, format: AuditFormat, io: CliIo): Promise<ExitCode> {
  const head = await store.head();
  const verdict = await verifyChain(store.iterate(), head ? { head } : {});
  const unknown: OutcomeUnknown[] = [];
  for await (const intent of store.outcomeUnknown()) unknown.push(intent);
  io.out(formatVerdict(verdict, format, unknown));
  return verdict.ok ? 0 : 2;
}

async function exportRecords(store: AuditStore, argv: AuditArgs, io: CliIo): Promise<ExitCode> {
  const filter: AuditQuery = {};
  if (argv.since !== undefined) filter.since = argv.since;
  if (argv.until !== undefined) filter.until = argv.until;
  if (argv.server !== undefined) filter.server = argv.server;
  if (argv.tool !== undefined) filter.tool = argv.tool;
  if (argv.decision !== undefined) filter.decision = argv.decision;
  const sink = (path: string | undefined): JsonlSink | undefined => (path === undefined ? undefined : path === "-" ? lineSink(io.out) : fileSink(path));
  const progress = createProgress(io, "audit export", { quiet: argv.quiet, unit: "calls" });
  // Each exported call writes one line to the first sink: counting its writes counts the calls.
  let exported = 0;
  const countingSink = (inner: JsonlSink): JsonlSink => ({
    write: async (line) => {
      await inner.write(line);
      progress.update(++exported);
    },
    close: () => inner.close(),
  });
  const envelopes = sink(argv.envelopes);
  const decisionLog = sink(argv.decisionLog);
  let count: number;
  try {
    count = await exportAudit(store, filter, {
      ...(envelopes ? { envelopes: countingSink(envelopes) } : {}),
      ...(decisionLog ? { decisionLog: envelopes ? decisionLog : countingSink(decisionLog) } : {}),
    });
  } finally {
    progress.end();
  }
  const targets = [argv.envelopes && `envelopes to ${argv.envelopes}`, argv.decisionLog && `decision log to ${argv.decisionLog}`].filter(Boolean);
  io.err(`exported ${count} record${count === 1 ? "" : "s"}: ${targets.join(", ")}`);
  return 0;
}

export function auditCommand(io: CliIo) {
  return {
    command: "audit <subcommand> [call_id]",
    describe: "explain a call (why CALL_ID), check the hash chain (verify), export envelopes and decision logs (export)",
    builder: (y: Argv) =>
      hiddenRenamedOption(y, "data", "data-dir")
        .positional("subcommand", { choices: SUBCOMMANDS, describe: "why CALL_ID | verify | export" })
        .positional("call_id", { type: "string", describe: "why: the call to explain" })
        .option("data-dir", { type: "string", describe: `data folder holding audit.sqlite [default: $MCPGOV_DATA_DIR or ${DEFAULT_DATA_DIR}]` })
        .option("state", { type: "string", describe: "read the chain from PostgreSQL instead: postgres://user@host:port/db, password in $PGPASSWORD [default: $MCPGOV_STATE]" })
        .option("format", { choices: ["pretty", "json"] as const, default: "pretty" as const, describe: "why, verify: output format" })
        .option("envelopes", { type: "string", nargs: 1, describe: "write the stored (masked) envelopes as JSONL, - for stdout" })
        .option("decision-log", { type: "string", nargs: 1, describe: "write OPA decision-log events as JSONL, - for stdout" })
        .option("since", { type: "string", describe: "only records at or after this RFC 3339 time" })
        .option("until", { type: "string", describe: "only records before this RFC 3339 time" })
        .option("server", { type: "string", describe: "only calls to this server" })
        .option("tool", { type: "string", describe: "only calls of this tool" })
        .option("decision", { choices: DecisionKindSchema.options, describe: "only calls with this decision" })
        .group(["envelopes", "decision-log", "since", "until", "server", "tool", "decision"], "export:")
        .example("$0 audit why c-0042", "which rules of which bundle decided call c-0042, and what happened")
        .example("$0 audit verify --data-dir /var/lib/mcpgov", "check the chain (exit 2 names the first modified, deleted or reordered record) and list calls with outcome unknown")
        .example("$0 audit export --since 2026-04-01T00:00:00Z --envelopes calls.jsonl", "replay corpus for mcpgov diff / mcpgov test"),
    handler: async (argv: AuditArgs): Promise<ExitCode> => {
      checkArguments(argv);
      const { store, where: dir } = await openAudit(argv, io);
      try {
        switch (argv.subcommand) {
          case "why":
            return await why(store, argv.call_id!, dir, argv.format, io);
          case "verify":
            return await verify(store, argv.format, io);
          case "export":
            return await exportRecords(store, argv, io);
        }
      } finally {
        await store.close();
      }
    },
  };
}
