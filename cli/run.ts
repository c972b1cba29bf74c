/** @module The CLI: parses arguments, runs one command, and maps errors to exit codes in one place. */
import yargs from "yargs";
import { formatDiagnostic, McpgovError } from "../src/core/errors.js";
import { COMMANDS, commandName, type CommandEntry, type CommandModule } from "./command-table.js";
import type { CliIo, ExitCode } from "./io.js";
import { versionLine } from "./version.js";

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

/**
 * The command these arguments name, if any: the first word that is not an
 * option. No command has a global option that takes a value, so this is the
 * word yargs will pick too. Completion requests carry the words typed so far
 * after the program's own name.
 */
export function selectedCommand(args: readonly string[]): CommandEntry | undefined {
  const words = args[0] === "--get-yargs-completions" ? args.slice(2) : args;
  const first = words.find((word) => !word.startsWith("-"));
  return COMMANDS.find((entry) => commandName(entry) === first);
}

/** A command as `--help` lists it, without loading its module. */
const listed = (entry: CommandEntry): CommandModule => ({
  command: entry.command,
  describe: entry.describe,
  builder: {},
  handler: () => Promise.reject(new McpgovError("usage", `${commandName(entry)} was not loaded`)),
});

export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = 0;
  const selected = selectedCommand(args);
  const commands = await Promise.all(COMMANDS.map((entry) => (entry === selected ? entry.load(io) : listed(entry))));

  const parser = yargs()
    .scriptName("mcpgov")
    .usage("$0 <command> [options]\n\nGovern MCP tool calls with Rego compiled to WASM.")
    .strict()
    .demandCommand(1, "name a command")
    .recommendCommands()
    .option("quiet", { alias: "q", type: "boolean", default: false, global: true, describe: "no progress lines on stderr" })
    .completion("completion", "print a bash/zsh completion script: mcpgov completion >> ~/.bashrc")
    .help()
    .version("version", "show the version (and the OPA version bundles are built with)", versionLine())
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
