/**
 * @module The commands by name, with what `--help` shows, and how to load each.
 *
 * Only the command that runs is imported: its module pulls in the gateway,
 * SQLite or the WASM engine, which take a second to load, and `--help`,
 * completion or `eval` should not pay for the others.
 */
import type { CliIo, ExitCode } from "./io.js";

export interface CommandModule {
  command: string;
  describe: string;
  builder: unknown;
  handler: (argv: never) => Promise<ExitCode>;
}

export interface CommandEntry {
  /** The yargs command string, as the module spells it (a test keeps them equal). */
  command: string;
  describe: string;
  load(io: CliIo): Promise<CommandModule>;
}

const as = (module: unknown): CommandModule => module as CommandModule;

export const COMMANDS: readonly CommandEntry[] = [
  {
    command: "build [policy]",
    describe: "compile a policy folder to a stamped OPA WASM bundle (signed with --signing-key)",
    load: async (io) => as((await import("./commands/build.js")).buildCommand(io)),
  },
  {
    command: "hash <bundle>",
    describe: "print a bundle's content hash; fail if it does not match the bundle's stamp",
    load: async (io) => as((await import("./commands/hash.js")).hashCommand(io)),
  },
  {
    command: "sign <bundle>",
    describe: "sign a stamped bundle (replacing any signature) so gateways with bundle_signing keys accept it",
    load: async (io) => as((await import("./commands/sign.js")).signCommand(io)),
  },
  {
    command: "bundle <subcommand> <dir>",
    describe: "serve: serve DIR's *.tar.gz bundles over OPA's bundle protocol (development)",
    load: async (io) => as((await import("./commands/bundle.js")).bundleCommand(io)),
  },
  {
    command: "eval",
    describe: "decide one envelope with a bundle and print the decision",
    load: async (io) => as((await import("./commands/eval.js")).evalCommand(io)),
  },
  {
    command: "test [policy] [cases..]",
    describe:
      "run the Rego unit tests (opa test) and the recorded-envelope cases (on the WASM bundle and, for parity, on OPA's topdown), and report rule coverage",
    load: async (io) => as((await import("./commands/test.js")).testCommand(io)),
  },
  {
    command: "diff",
    describe: "decide recorded envelopes under two bundles and report what changes",
    load: async (io) => as((await import("./commands/diff.js")).diffCommand(io)),
  },
  {
    command: "serve",
    describe: "run the gateway: govern MCP clients' tool calls to the registered servers",
    load: async (io) => as((await import("./commands/serve.js")).serveCommand(io)),
  },
  {
    command: "stdio",
    describe: "serve one registered server (or, without --server, all of them) to an MCP client over stdio, governed",
    load: async (io) => as((await import("./commands/stdio.js")).stdioCommand(io)),
  },
  {
    command: "registry <action> [server]",
    describe: "pin, check or list the registered MCP servers and their tools",
    load: async (io) => as((await import("./commands/registry.js")).registryCommand(io)),
  },
  {
    command: "audit <subcommand> [call_id]",
    describe: "explain a call (why CALL_ID), check the hash chain (verify), export envelopes and decision logs (export)",
    load: async (io) => as((await import("./commands/audit.js")).auditCommand(io)),
  },
  {
    command: "approvals <action> [id]",
    describe: "list, show, approve or deny approval requests (against a running gateway, or --data-dir when none runs)",
    load: async (io) => as((await import("./commands/approvals.js")).approvalsCommand(io)),
  },
  {
    command: "dryrun",
    describe: "force a production write through REQUIRE_APPROVAL and check binding, routing, exactly-once, replay, tampering, bundle swap and audit",
    load: async (io) => as((await import("./commands/dryrun.js")).dryrunCommand(io)),
  },
  {
    command: "schema <name>",
    describe: "print a JSON Schema: the envelope, decisions, YAML rules, gateway config, audit records",
    load: async (io) => as((await import("./commands/schema.js")).schemaCommand(io)),
  },
  {
    command: "capabilities",
    describe: "list the Rego builtins available to mcpgov bundles",
    load: async (io) => as((await import("./commands/capabilities.js")).capabilitiesCommand(io)),
  },
  {
    command: "demo",
    describe: "build the reference policy, decide the seed's example calls, and start the demo gateway",
    load: async (io) => as((await import("./commands/demo.js")).demoCommand(io)),
  },
  {
    command: "scan [file]",
    describe: "scan a tool result, JSON document or text for secrets and PII (values are never printed)",
    load: async (io) => as((await import("./commands/scan.js")).scanCommand(io)),
  },
  {
    command: "quarantine <subcommand> [id]",
    describe: "review withheld tool outputs on a running gateway: list, show ID, release ID, discard ID",
    load: async (io) => as((await import("./commands/quarantine.js")).quarantineCommand(io)),
  },
  {
    command: "gates",
    describe: "evaluate the rollout gates on a gateway's /metrics (exit 2 when one blocks), or write them as Prometheus rules",
    load: async (io) => as((await import("./commands/gates.js")).gatesCommand(io)),
  },
];

/** The name a command is called by: the first word of its yargs command string. */
export const commandName = (entry: Pick<CommandEntry, "command">): string => entry.command.split(" ")[0]!;
