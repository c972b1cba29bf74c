/** @module The CLI: parses arguments, runs one command, and maps errors to exit codes in one place. */
import yargs from "yargs";
import { formatDiagnostic, McpgovError } from "../src/core/errors.js";
import { approvalsCommand } from "./commands/approvals.js";
import { auditCommand } from "./commands/audit.js";
import { buildCommand } from "./commands/build.js";
import { bundleCommand } from "./commands/bundle.js";
import { capabilitiesCommand } from "./commands/capabilities.js";
import { demoCommand } from "./commands/demo.js";
import { diffCommand } from "./commands/diff.js";
import { dryrunCommand } from "./commands/dryrun.js";
import { evalCommand } from "./commands/eval.js";
import { gatesCommand } from "./commands/gates.js";
import { hashCommand } from "./commands/hash.js";
import { quarantineCommand } from "./commands/quarantine.js";
import { registryCommand } from "./commands/registry.js";
import { scanCommand } from "./commands/scan.js";
import { schemaCommand } from "./commands/schema.js";
import { serveCommand } from "./commands/serve.js";
import { signCommand } from "./commands/sign.js";
import { stdioCommand } from "./commands/stdio.js";
import { testCommand } from "./commands/test.js";
import type { CliIo, ExitCode } from "./io.js";

interface CommandModule {
  command: string;
  describe: string;
  builder: unknown;
  handler: (argv: never) => Promise<ExitCode>;
}

/** Prints an error for people; only McpgovErrors are expected, anything else is a bug. */
export function reportError(error: unknown, io: CliIo): ExitCode {
  if (error instanceof McpgovError) {
    io.err(`mcpgov: ${error.message}`);
    for (const diagnostic of error.data.diagnostics ?? []) io.err(`  ${formatDiagnostic(diagnostic)}`);
    return 1;
  }
  io.err(`mcpgov: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 1;
}

export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = 0;
  const commands: CommandModule[] = [
    buildCommand(io),
    hashCommand(io),
    signCommand(io),
    bundleCommand(io),
    evalCommand(io),
    testCommand(io),
    diffCommand(io),
    serveCommand(io),
    stdioCommand(io),
    registryCommand(io),
    auditCommand(io),
    approvalsCommand(io),
    dryrunCommand(io),
    schemaCommand(io),
    capabilitiesCommand(io),
    demoCommand(io),
    scanCommand(io),
    quarantineCommand(io),
    gatesCommand(io),
  ] as CommandModule[];

  const parser = yargs()
    .scriptName("mcpgov")
    .usage("$0 <command> [options]\n\nGovern MCP tool calls with Rego compiled to WASM.")
    .strict()
    .demandCommand(1, "name a command")
    .recommendCommands()
    .help()
    .version(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new McpgovError("usage", message);
    });

  for (const command of commands) {
    parser.command({
      ...(command as object),
      handler: async (argv: unknown) => {
        exitCode = await command.handler(argv as never);
      },
    } as never);
  }

  let helpShown = false;
  try {
    await parser.parseAsync([...args], {}, (_error, _argv, output) => {
      if (output) {
        helpShown = true;
        io.out(output);
      }
    });
  } catch (error) {
    if (error instanceof McpgovError && error.code === "usage") {
      io.err(`mcpgov: ${error.message}\nRun \`mcpgov --help\` for usage.`);
      return 1;
    }
    return reportError(error, io);
  }
  return helpShown ? 0 : exitCode;
}
