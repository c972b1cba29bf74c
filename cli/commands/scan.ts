/**
 * @module `mcpgov scan [FILE|-]`: scans a tool result, a JSON document or
 * text for secrets and PII; `--redact` prints it redacted. With `--bundle`
 * the bundle's output policy judges the findings (PASS, REDACT,
 * QUARANTINE) and `--redact` redacts only the types the verdict names.
 */
import { readFile } from "node:fs/promises";
import type { Argv } from "yargs";
import { McpgovError } from "../../src/core/errors.js";
import type { OutputDecision } from "../../src/core/output-decision.js";
import { WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import type { Finding } from "../../src/output/finding.js";
import { buildOutputInput } from "../../src/output/output-input.js";
import { redactOutput } from "../../src/output/redact.js";
import { scanOutput } from "../../src/output/result-scan.js";
import { loadScanRules } from "../../src/output/rule-file.js";
import { formatScanReport, type ScanVerdict } from "../../src/report/scan-report.js";
import type { CliIo } from "../io.js";

/** JSON when it parses as JSON; anything else is scanned as text. */
export function parseDocument(text: string): { json: true; value: unknown } | { json: false; value: string } {
  const first = text.trimStart()[0];
  if (first === "{" || first === "[" || first === '"') {
    try {
      return { json: true, value: JSON.parse(text) as unknown };
    } catch {
      // Not JSON after all: a log line or a snippet that starts with a brace.
    }
  }
  return { json: false, value: text };
}

export function scanCommand(io: CliIo) {
  return {
    command: "scan [file]",
    describe: "scan a tool result, JSON document or text for secrets and PII (values are never printed)",
    builder: (y: Argv) =>
      y
        .positional("file", { type: "string", default: "-", describe: "file to scan, or - for stdin" })
        .option("format", { choices: ["pretty", "json"] as const, default: "pretty" as const })
        .option("rules", { type: "string", describe: "extra scan rules (YAML or JSON)" })
        .option("redact", { type: "boolean", default: false, describe: "print the redacted document to stdout (findings go to stderr)" })
        .option("max-bytes", { type: "number", describe: "outputs larger than this are reported as oversize, not scanned (default 8 MiB)" })
        .option("bundle", { type: "string", describe: "judge the findings with this bundle's output policy and print its verdict" })
        .option("server", { type: "string", default: "cli", describe: "server name the output policy sees (with --bundle)" })
        .option("tool", { type: "string", default: "scan", describe: "tool name the output policy sees (with --bundle)" }),
    handler: async (argv: ScanArgs) => {
      const rules = await loadScanRules(argv.rules);
      const engine = argv.bundle === undefined ? undefined : await WasmPolicyEngine.fromFile(argv.bundle);
      const source = argv.file === "-" ? "<stdin>" : argv.file;
      let text: string;
      try {
        text = argv.file === "-" ? await io.stdin() : await readFile(argv.file, "utf8");
      } catch (cause) {
        throw new McpgovError("io_error", `cannot read ${argv.file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
      }
      const document = parseDocument(text);
      const { findings, error } = scanOutput(document.value, { rules, ...(argv.maxBytes === undefined ? {} : { maxBytes: argv.maxBytes }) });
      const verdict = engine ? verdictOf(engine.decideOutput(buildOutputInput({ findings, error }, { server: argv.server, tool: argv.tool }))) : undefined;
      const report = formatScanReport({ source, findings, ...(error ? { error: error.message } : {}), ...(verdict ? { verdict } : {}) }, argv.format);
      if (error) {
        // Fail closed: a document the scanner could not read is not printed, redacted or not.
        io.err(report);
        return 1 as const;
      }
      if (!argv.redact) {
        io.out(report);
        return 0 as const;
      }
      io.err(report);
      if (verdict?.decision === "QUARANTINE") {
        io.err(`${source}: quarantined by the output policy; refusing to print it`);
        return 1 as const;
      }
      if (findings.some((f) => f.category === "limit")) {
        throw new McpgovError("output_scan_failed", `${source}: not fully scanned (${findings.filter((f) => f.category === "limit").map((f) => f.type).join(", ")}); refusing to print it`);
      }
      const redacted = verdict ? redactOutput(document.value, namedBy(verdict, findings), { minConfidence: 0 }) : redactOutput(document.value, findings);
      io.out(document.json ? JSON.stringify(redacted, null, 2) : (redacted as string));
      return 0 as const;
    },
  };
}

interface ScanArgs {
  file: string;
  format: "pretty" | "json";
  rules?: string;
  redact: boolean;
  maxBytes?: number;
  bundle?: string;
  server: string;
  tool: string;
}

function verdictOf(decision: OutputDecision): ScanVerdict {
  const { decision: kind, rules, reason, redact_types, fail_closed } = decision;
  return { decision: kind, rules, reason, redact_types, ...(fail_closed ? { fail_closed } : {}) };
}

/**
 * The findings a verdict redacts: every finding of a type it names, at any
 * confidence, since the policy judged the type by its highest confidence.
 */
function namedBy(verdict: ScanVerdict, findings: readonly Finding[]): Finding[] {
  if (verdict.decision !== "REDACT") return [];
  const types = new Set(verdict.redact_types);
  return findings.filter((f) => types.has(f.type));
}
