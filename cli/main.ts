/** @module Entry point of the `mcpgov` command. */
import { hideBin } from "yargs/helpers";
import { processIo } from "./io.js";
import { run } from "./run.js";

// A closed pipe (`mcpgov … | head`) ends output, not the process with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await run(hideBin(process.argv), processIo);
