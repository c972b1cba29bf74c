/** @module `mcpgov scan [FILE|-]`: scans a tool result, a JSON document or text for secrets and PII; `--redact` prints it redacted. */
import { readFile } from "node:fs/promises";
import type { Argv } from "yargs";
import { McpgovError } from "../../src/core/errors.js";
import { redactOutput } from "../../src/output/redact.js";
import { scanOutput } from "../../src/output/result-scan.js";
import { loadScanRules } from "../../src/output/rule-file.js";
import { formatScanReport } from "../../src/report/scan-report.js";
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
        .option("max-bytes", { type: "number", describe: "outputs larger than this are reported as oversize, not scanned (default 8 MiB)" }),
    handler: async (argv: { file: string; format: "pretty" | "json"; rules?: string; redact: boolean; maxBytes?: number }) => {
      const rules = await loadScanRules(argv.rules);
      const source = argv.file === "-" ? "<stdin>" : argv.file;
      let text: string;
      try {
        text = argv.file === "-" ? await io.stdin() : await readFile(argv.file, "utf8");
      } catch (cause) {
        throw new McpgovError("io_error", `cannot read ${argv.file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
      }
      const document = parseDocument(text);
      const { findings, error } = scanOutput(document.value, { rules, ...(argv.maxBytes === undefined ? {} : { maxBytes: argv.maxBytes }) });
      const report = formatScanReport({ source, findings, ...(error ? { error: error.message } : {}) }, argv.format);
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
      if (findings.some((f) => f.category === "limit")) {
        throw new McpgovError("output_scan_failed", `${source}: not fully scanned (${findings.filter((f) => f.category === "limit").map((f) => f.type).join(", ")}); refusing to print it`);
      }
      const redacted = redactOutput(document.value, findings);
      io.out(document.json ? JSON.stringify(redacted, null, 2) : (redacted as string));
      return 0 as const;
    },
  };
}
