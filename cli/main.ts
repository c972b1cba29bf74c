/** @module Entry point of the `mcpgov` command. */
import { hideBin } from "yargs/helpers";
import { processIo } from "./io.js";
import { run } from "./run.js";

process.exitCode = await run(hideBin(process.argv), processIo);
