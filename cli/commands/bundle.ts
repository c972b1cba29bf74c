/**
 * @module `mcpgov bundle serve DIR [--host 127.0.0.1] [--port 8282]`: a
 * development bundle server (OPA's bundle-service protocol: ETags, 304s,
 * long polling) for gateways with `bundle_source`. One yargs command with
 * a subcommand positional, like `mcpgov audit`, so run.ts sees the exit code.
 */
import type { Argv } from "yargs";
import { startBundleServer } from "../../src/bundle/bundle-server.js";
import type { CliIo } from "../io.js";

interface BundleArgs {
  subcommand: "serve";
  dir: string;
  host: string;
  port: number;
}

export function bundleCommand(io: CliIo) {
  return {
    command: "bundle <subcommand> <dir>",
    describe: "serve: serve DIR's *.tar.gz bundles over OPA's bundle protocol (development)",
    builder: (y: Argv) =>
      y
        .positional("subcommand", { choices: ["serve"] as const, demandOption: true })
        .positional("dir", { type: "string", demandOption: true, describe: "folder of bundle archives" })
        .option("host", { type: "string", default: "127.0.0.1", describe: "listen address (loopback by default)" })
        .option("port", { type: "number", default: 8282, describe: "listen port (0 picks a free one)" }),
    handler: async (argv: BundleArgs) => {
      const server = await startBundleServer({
        dir: argv.dir,
        host: argv.host,
        port: argv.port,
        onRequest: (line) => io.err(`${line.method} ${line.path} ${line.status}${line.etag ? ` ${line.etag}` : ""}`),
      });
      io.out(`mcpgov bundle server on ${server.url}/bundles/<name>.tar.gz (serving ${argv.dir})`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
      await server.close();
      return 0 as const;
    },
  };
}
