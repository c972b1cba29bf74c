/**
 * @module `mcpgov quarantine list | show ID | release ID | discard ID`: a
 * reviewer's view of withheld outputs, through a running gateway's admin
 * API (the gateway checks the reviewer role and audits every step), through
 * the one admin API client (src/admin/admin-api.ts).
 *
 * The token comes from an environment variable (`--token-env`, default
 * MCPGOV_TOKEN), never from a flag, so it does not show in process lists
 * or shell history. One yargs command with a subcommand positional, like
 * `mcpgov audit`, so run.ts sees the handler's exit code.
 */
import type { Argv } from "yargs";
import { McpgovError } from "../../src/core/errors.js";
import type { QuarantineItem } from "../../src/quarantine/quarantine-store.js";
import { adminApi, DEFAULT_GATEWAY, DEFAULT_TOKEN_ENV } from "../admin-client.js";
import type { CliIo, ExitCode } from "../io.js";

const SUBCOMMANDS = ["list", "show", "release", "discard"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const STATES = ["held", "released", "discarded", "all"] as const;

interface QuarantineArgs {
  subcommand: Subcommand;
  id?: string;
  gateway?: string;
  tokenEnv: string;
  state: (typeof STATES)[number];
  limit: number;
  reason?: string;
  format: "pretty" | "json";
}

function checkArguments(argv: QuarantineArgs): void {
  const needsId = argv.subcommand !== "list";
  if (needsId && !argv.id) throw new McpgovError("usage", `quarantine ${argv.subcommand} needs a quarantine ID (see mcpgov quarantine list)`);
  if (!needsId && argv.id !== undefined) throw new McpgovError("usage", `quarantine list takes no ID (got ${JSON.stringify(argv.id)})`);
  const reviews = argv.subcommand === "release" || argv.subcommand === "discard";
  if (reviews && !argv.reason?.trim()) throw new McpgovError("usage", `quarantine ${argv.subcommand} needs --reason TEXT (it is recorded with the decision)`);
  if (!reviews && argv.reason !== undefined) throw new McpgovError("usage", "--reason only applies to quarantine release and discard");
  if (!Number.isInteger(argv.limit) || argv.limit < 1 || argv.limit > 1000) throw new McpgovError("usage", "--limit: expected an integer from 1 to 1000");
}

const findingsText = (findings: Record<string, number>): string =>
  Object.entries(findings)
    .map(([type, count]) => `${type}×${count}`)
    .join(", ") || "-";

const subjectText = (s: QuarantineItem["subject"]): string => (s.tenant ? `${s.id}@${s.tenant}` : s.id);

function listPretty(items: QuarantineItem[]): string {
  if (items.length === 0) return "no quarantined outputs";
  const rows = items.map((i) => [i.id, i.state, i.time, subjectText(i.subject), `${i.server}/${i.tool}`, i.rules.join(","), findingsText(i.findings), `${i.size_bytes} B`]);
  const header = ["ID", "STATE", "TIME", "SUBJECT", "TOOL", "RULES", "FINDINGS", "SIZE"];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  return [header, ...rows].map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ")).join("\n");
}

function itemPretty(item: QuarantineItem): string[] {
  return [
    `quarantine ${item.id}: ${item.state}${item.content_kept ? "" : " (content deleted)"}`,
    `  call       ${item.call_id} at ${item.time}`,
    `  subject    ${subjectText(item.subject)}`,
    `  tool       ${item.server}/${item.tool}`,
    `  verdict    ${item.reason}`,
    `  bundle     ${item.bundle.hash} (${item.bundle.revision})`,
    `  findings   ${findingsText(item.findings)}`,
    `  size       ${item.size_bytes} bytes`,
    ...(item.reviewer ? [`  reviewed   ${item.state} by ${item.reviewer} at ${item.reviewed_at}: ${item.review_reason}`] : []),
  ];
}

/** The withheld result for a reader: text items as they are, anything else as JSON. */
function contentPretty(result: unknown): string[] {
  if (result === null) return ["content: deleted (discarded)"];
  const content = (result as { content?: unknown }).content;
  if (!Array.isArray(content)) return ["content (JSON):", JSON.stringify(result, null, 2)];
  const lines = ["content:"];
  content.forEach((c: { type?: unknown; text?: unknown }, index) => {
    lines.push(`--- [${index}] ${String(c.type)} ---`);
    lines.push(c.type === "text" && typeof c.text === "string" ? c.text.replace(/\n$/, "") : JSON.stringify(c, null, 2));
  });
  return lines;
}

export function quarantineCommand(io: CliIo) {
  return {
    command: "quarantine <subcommand> [id]",
    describe: "review withheld tool outputs on a running gateway: list, show ID, release ID, discard ID",
    builder: (y: Argv) =>
      y
        .positional("subcommand", { choices: SUBCOMMANDS, describe: "list | show ID | release ID | discard ID" })
        .positional("id", { type: "string", describe: "the quarantine id (q-…)" })
        .option("gateway", { type: "string", describe: `the gateway's base URL [default: $MCPGOV_GATEWAY or ${DEFAULT_GATEWAY}]` })
        .option("token-env", { type: "string", default: DEFAULT_TOKEN_ENV, describe: "environment variable holding a reviewer's bearer token" })
        .option("state", { choices: STATES, default: "held" as const, describe: "list: which items" })
        .option("limit", { type: "number", default: 100, describe: "list: most items, newest first" })
        .option("reason", { type: "string", describe: "release, discard: why (required; recorded in the audit chain)" })
        .option("format", { choices: ["pretty", "json"] as const, default: "pretty" as const })
        .example("$0 quarantine list", "held outputs waiting for review (metadata only)")
        .example("$0 quarantine show q-…", "the withheld content (the inspection is audited)")
        .example('$0 quarantine release q-… --reason "test fixture, not a live key"', "let the original client fetch it"),
    handler: async (argv: QuarantineArgs): Promise<ExitCode> => {
      checkArguments(argv);
      const api = adminApi({ gateway: argv.gateway, tokenEnv: argv.tokenEnv, env: io.env, holder: "a reviewer" });
      // --format json prints the gateway's answer as it sent it (compact JSON).
      const json = (answer: unknown) => JSON.stringify(answer);
      switch (argv.subcommand) {
        case "list": {
          const answer = await api.quarantineList(argv.state, argv.limit);
          io.out(argv.format === "json" ? json(answer) : listPretty(answer.items));
          return 0;
        }
        case "show": {
          const shown = await api.quarantineShow(argv.id!);
          io.out(argv.format === "json" ? json(shown) : [...itemPretty(shown.item), ...contentPretty(shown.result)].join("\n"));
          return 0;
        }
        case "release":
        case "discard": {
          const reviewed = await api.quarantineReview(argv.id!, argv.subcommand, argv.reason!.trim());
          io.out(argv.format === "json" ? json(reviewed) : itemPretty(reviewed.item).join("\n"));
          return 0;
        }
      }
    },
  };
}
